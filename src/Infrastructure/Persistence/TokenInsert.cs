using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Concert.Application.Queue;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Concert.Infrastructure.Persistence;

/// <summary>
/// The statement <see cref="ConcertDbContext.InsertTokensAsync"/> writes with: <c>INSERT … VALUES (…), (…) ON CONFLICT
/// DO NOTHING RETURNING</c> the key and the token's unique value, with the columns taken from EF's model and each value
/// a parameter of its column's own type mapping, so that every value converter applies as in SaveChanges. A row a
/// unique index refuses (the user has a live token already) is skipped and returns nothing; the others are written.
/// On PostgreSQL it may be followed, in the same round trip, by a read of the line (<see cref="LineRead.Query"/>).
/// </summary>
internal sealed class TokenInsert
{
    private static readonly ConditionalWeakTable<IModel, TokenInsert?> PerModel = [];

    private readonly IProperty _key;
    private readonly IProperty _token;
    private readonly IProperty[] _columns;
    private readonly StoreObjectIdentifier _store;

    private TokenInsert(StoreObjectIdentifier store, IProperty key, IProperty token, IProperty[] columns, IEntityType type)
    {
        (_store, _key, _token, _columns) = (store, key, token, columns);
        CanRead = StoredAs(nameof(QueueToken.Status), typeof(int)) && StoredAs(nameof(QueueToken.Round), typeof(long))
                  && StoredAs(nameof(QueueToken.DrawKey), typeof(long));

        bool StoredAs(string name, Type stored) => type.FindProperty(name) is { } property
            && (property.GetTypeMapping().Converter?.ProviderClrType ?? property.ClrType) == stored;
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

    /// <summary>The statement for <paramref name="tokens"/> with <c>{n}</c> placeholders (as EF's raw SQL takes them),
    /// and its parameters, made with <paramref name="factory"/> (a command of the connection's provider).</summary>
    public (string Sql, DbParameter[] Parameters) Build(IReadOnlyList<QueueToken> tokens, DbCommand factory, Func<string, string> quote) =>
        Build(tokens, factory, quote, n => $"{{{n}}}", n => $"p{n}");

    /// <summary>As <see cref="Build(IReadOnlyList{QueueToken}, DbCommand, Func{string, string})"/>, with positional
    /// placeholders (<c>$1</c>, <c>$2</c>, …) and unnamed parameters, as a command of an ADO.NET batch sends them.</summary>
    public (string Sql, DbParameter[] Parameters) BuildPositional(IReadOnlyList<QueueToken> tokens, DbCommand factory, Func<string, string> quote) =>
        Build(tokens, factory, quote, Positional, _ => string.Empty);

    /// <summary>Whether the line's read (<see cref="LineRead.Query"/>) reads back as it is stored: the status as a plain
    /// integer, the round and the draw key as plain 64-bit integers (no value converter of another kind), as
    /// <see cref="ConcertDbContext.InsertTokensAsync"/> reads its rows when it sends the read along.</summary>
    public bool CanRead { get; }

    private static string Positional(int n) => $"${n + 1}";

    private (string Sql, DbParameter[] Parameters) Build(
        IReadOnlyList<QueueToken> tokens, DbCommand factory, Func<string, string> quote, Func<int, string> placeholder,
        Func<int, string> name)
    {
        var sql = new StringBuilder("INSERT INTO ").Append(quote(_store.Name)).Append(" (")
            .AppendJoin(", ", _columns.Select(c => quote(c.GetColumnName(_store)!))).Append(") VALUES ");
        var parameters = new DbParameter[tokens.Count * _columns.Length];
        for (var row = 0; row < tokens.Count; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var c = 0; c < _columns.Length; c++)
            {
                var n = (row * _columns.Length) + c;
                sql.Append(c == 0 ? "" : ", ").Append(placeholder(n));
                parameters[n] = _columns[c].GetRelationalTypeMapping().CreateParameter(
                    factory, name(n), _columns[c].GetGetter().GetClrValue(tokens[row]), _columns[c].IsNullable);
            }

            sql.Append(')');
        }

        // A multi-row RETURNING need not list its rows in VALUES order (SQLite says so): each id is matched to its
        // token by the token's unique value.
        sql.Append(" ON CONFLICT DO NOTHING RETURNING ").Append(quote(_key.GetColumnName(_store)!)).Append(", ")
            .Append(quote(_token.GetColumnName(_store)!));
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
