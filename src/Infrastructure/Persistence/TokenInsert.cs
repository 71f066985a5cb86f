using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Concert.Application.Queue;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Concert.Infrastructure.Persistence;

/// <summary>
/// The one statement <see cref="ConcertDbContext.InsertTokensAsync"/> sends: <c>INSERT … VALUES (…), (…) ON CONFLICT
/// DO NOTHING RETURNING</c> the key and the token's unique value, with the columns taken from EF's model and each value
/// a parameter of its column's own type mapping, so that every value converter applies as in SaveChanges. A row a
/// unique index refuses (the user has a live token already) is skipped and returns nothing; the others are written.
/// </summary>
internal sealed class TokenInsert
{
    private static readonly ConditionalWeakTable<IModel, TokenInsert?> PerModel = [];

    private readonly IProperty _key;
    private readonly IProperty _token;
    private readonly IProperty[] _columns;
    private readonly StoreObjectIdentifier _store;
    private readonly IProperty _status;
    private readonly IProperty _round;
    private readonly IProperty _drawKey;

    private TokenInsert(StoreObjectIdentifier store, IProperty key, IProperty token, IProperty[] columns, IEntityType type)
    {
        (_store, _key, _token, _columns) = (store, key, token, columns);
        _status = type.FindProperty(nameof(QueueToken.Status))!;
        _round = type.FindProperty(nameof(QueueToken.Round))!;
        _drawKey = type.FindProperty(nameof(QueueToken.DrawKey))!;
    }

    /// <summary>The statement for this model, or null when a column is one that SaveChanges would write otherwise
    /// (store-generated, defaulted or computed, a shadow property) or the table has a schema: SaveChanges then.</summary>
    public static TokenInsert? For(IModel model) => PerModel.GetValue(model, Create);

    private static TokenInsert? Create(IModel model)
    {
        var type = model.FindEntityType(typeof(QueueToken))!;
        var store = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        var key = type.FindPrimaryKey()!.Properties.Single();
        var columns = type.GetProperties().Where(p => p != key).ToArray();
        var plain = store.Schema is null && key.PropertyInfo is not null && columns.All(c =>
            !c.IsShadowProperty() && c.ValueGenerated == ValueGenerated.Never && c.GetDefaultValueSql() is null
            && !c.TryGetDefaultValue(out _) && c.GetComputedColumnSql() is null && c.GetColumnName(store) is not null);
        return plain ? new TokenInsert(store, key, type.FindProperty(nameof(QueueToken.Token))!, columns, type) : null;
    }

    /// <summary>The statement for <paramref name="tokens"/> with <c>{n}</c> placeholders, and its parameters, made
    /// with <paramref name="factory"/> (a command of the connection's provider); then, when <paramref name="read"/> is
    /// given, a second statement: that read of the line (id, status, round, draw key), as
    /// <c>JoinCommits</c>' own query reads it (by the primary key, no index on the status).</summary>
    public (string Sql, object[] Parameters) Build(
        IReadOnlyList<QueueToken> tokens, DbCommand factory, Func<string, string> quote, LineRead? read = null)
    {
        var sql = new StringBuilder("INSERT INTO ").Append(quote(_store.Name)).Append(" (")
            .AppendJoin(", ", _columns.Select(c => quote(c.GetColumnName(_store)!))).Append(") VALUES ");
        var parameters = new object[tokens.Count * _columns.Length];
        for (var row = 0; row < tokens.Count; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var c = 0; c < _columns.Length; c++)
            {
                var n = (row * _columns.Length) + c;
                sql.Append(c == 0 ? "{" : ", {").Append(n).Append('}');
                parameters[n] = _columns[c].GetRelationalTypeMapping().CreateParameter(
                    factory, $"p{n}", _columns[c].GetGetter().GetClrValue(tokens[row]), _columns[c].IsNullable);
            }

            sql.Append(')');
        }

        // A multi-row RETURNING need not list its rows in VALUES order (SQLite says so): each id is matched to its
        // token by the token's unique value.
        sql.Append(" ON CONFLICT DO NOTHING RETURNING ").Append(quote(_key.GetColumnName(_store)!)).Append(", ").Append(quote(_token.GetColumnName(_store)!));
        if (read is null)
        {
            return (sql.ToString(), parameters);
        }

        string Column(IProperty p) => quote(p.GetColumnName(_store)!);
        var (id, status, round) = (Column(_key), Column(_status), Column(_round));
        var at = parameters.Length;
        var withRead = new List<object>(parameters)
        {
            _key.GetRelationalTypeMapping().CreateParameter(factory, $"p{at}", read.From, nullable: false),
        };
        sql.Append("; SELECT ").AppendJoin(", ", id, status, round, Column(_drawKey)).Append(" FROM ").Append(quote(_store.Name))
            .Append(" WHERE (").Append(status).Append(" + 0 = ").Append((int)QueueTokenStatus.Waiting)
            .Append(" OR ").Append(status).Append(" + 0 = ").Append((int)QueueTokenStatus.Prequeue)
            .Append(") AND ").Append(id).Append(" > {").Append(at).Append('}');
        if (!read.Every)
        {
            withRead.Add(_round.GetRelationalTypeMapping().CreateParameter(factory, $"p{at + 1}", read.EarlierThan, nullable: false));
            sql.Append(" AND ").Append(round).Append(" + 0 < {").Append(at + 1).Append('}');
        }

        return (sql.ToString(), [.. withRead]);
    }

    /// <summary>Gives each token written its id from <paramref name="ids"/> (by token value); a token skipped keeps id
    /// 0. How many were written.</summary>
    public int SetIds(IReadOnlyList<QueueToken> tokens, IReadOnlyDictionary<string, long> ids)
    {
        var written = 0;
        foreach (var token in tokens)
        {
            if (ids.TryGetValue(token.Token, out var id))
            {
                _key.PropertyInfo!.SetValue(token, id);
                written++;
            }
        }

        return written;
    }
}
