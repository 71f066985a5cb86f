using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
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

    private TokenInsert(StoreObjectIdentifier store, IProperty key, IProperty token, IProperty[] columns)
    {
        (_store, _key, _token, _columns) = (store, key, token, columns);
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
        return plain ? new TokenInsert(store, key, type.FindProperty(nameof(QueueToken.Token))!, columns) : null;
    }

    /// <summary>The statement for <paramref name="tokens"/> with <c>{n}</c> placeholders, and its parameters, made
    /// with <paramref name="factory"/> (a command of the connection's provider).</summary>
    public (string Sql, object[] Parameters) Build(IReadOnlyList<QueueToken> tokens, DbCommand factory, Func<string, string> quote)
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
        return (sql.ToString(), parameters);
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
