using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Concert.WebApi.FunctionalTests.Edge;

/// <summary>/health/ready means the database answers reads and takes writes: a database that went read-only is 503.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task A_database_that_no_longer_takes_writes_is_not_ready_and_is_again_once_it_does()
    {
        await using var api = await TestApi.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync("/health/ready")).StatusCode);

        await using (await ReadOnlyAsync(api.Database))
        {
            var response = await api.Client.GetAsync("/health/ready");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync("/health/live")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await api.Client.GetAsync("/health/ready")).StatusCode);
    }

    /// <summary>SQLite: the file itself read-only; PostgreSQL: the database's transactions read-only by default.
    /// Either way pooled connections opened before are dropped, as after a restart of the database.</summary>
    private static async Task<IAsyncDisposable> ReadOnlyAsync(TestDatabase database)
    {
        if (!database.IsPostgres)
        {
            SqliteConnection.ClearAllPools();
            var file = ReadOnlyFile.Make(database.SqlitePath!);
            SqliteConnection.ClearAllPools();
            return new Undo(() =>
            {
                file.Dispose();
                SqliteConnection.ClearAllPools();
                return Task.CompletedTask;
            });
        }

        await SetReadOnlyAsync(database, true);
        return new Undo(() => SetReadOnlyAsync(database, false));
    }

    private static async Task SetReadOnlyAsync(TestDatabase database, bool readOnly)
    {
        var admin = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres" }.ToString();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"ALTER DATABASE \"{database.Name}\" {(readOnly ? "SET default_transaction_read_only = on" : "RESET default_transaction_read_only")}",
            connection);
        await command.ExecuteNonQueryAsync();
        NpgsqlConnection.ClearAllPools();
    }

    private sealed class Undo(Func<Task> undo) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await undo();
    }
}
