using Concert.Infrastructure;
using Concert.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;

namespace Concert.Application.UnitTests.Persistence;

/// <summary>
/// The SQLite settings the concurrency story leans on hold on every connection the service hands out, including
/// pooled ones reused after the first open: writers wait for the lock (busy timeout), foreign keys are enforced,
/// and the file is in WAL mode.
/// </summary>
public sealed class SqliteConnectionTests : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"concert-unit-{Guid.NewGuid():N}.db");
    private ServiceProvider? _services;

    public async ValueTask InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["Database:SqlitePath"] = _path,
            ["Database:SqliteBusyTimeoutMs"] = "12345",
            ["Seed:Demo"] = "false",
            ["Workers:Enabled"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddInfrastructure(configuration);
        _services = services.BuildServiceProvider();
        await _services.InitialiseDatabaseAsync();
    }

    [Fact]
    public async Task Every_connection_waits_for_the_lock_enforces_foreign_keys_and_uses_wal()
    {
        for (var i = 0; i < 5; i++)
        {
            await using var scope = _services!.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ConcertDbContext>();
            await db.Database.OpenConnectionAsync();
            Assert.Equal(12345, await ScalarAsync(db, "PRAGMA busy_timeout"));
            Assert.Equal(1, await ScalarAsync(db, "PRAGMA foreign_keys"));
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
            await db.Database.CloseConnectionAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }

    private static async Task<long> ScalarAsync(DbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
