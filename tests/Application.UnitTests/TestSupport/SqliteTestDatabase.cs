using Concert.Infrastructure.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.UnitTests.TestSupport;

/// <summary>
/// A real schema in a private in-memory SQLite database, for code whose queries are EF LINQ (async operators,
/// ExecuteUpdate, raw SQL) that a substitute cannot answer. It lives as long as its one open connection.
/// </summary>
internal sealed class SqliteTestDatabase : IDisposable
{
    private readonly SqliteConnection _connection = new("DataSource=:memory:");

    public SqliteTestDatabase()
    {
        _connection.Open();
        using var db = NewContext();
        db.Database.EnsureCreated();
    }

    /// <summary>A fresh context (empty change tracker) on the same database.</summary>
    public SqliteConcertDbContext NewContext() =>
        new(new DbContextOptionsBuilder<SqliteConcertDbContext>().UseSqlite(_connection).Options);

    public void Dispose() => _connection.Dispose();
}
