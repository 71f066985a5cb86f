using Npgsql;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>
/// A fresh, empty database on the server named by <c>CONCERT_TEST_POSTGRES</c> (which <c>scripts/test.sh</c>
/// starts). Without a server these tests fail: they never skip or fall back to anything else.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly string _admin;

    private PostgresDatabase(string admin, string name)
    {
        _admin = admin;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ToString();
    }

    public string Name { get; }

    /// <summary>For the test's own checks.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable("CONCERT_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(admin))
        {
            throw new InvalidOperationException(
                "CONCERT_TEST_POSTGRES is not set: these tests run two service processes against one PostgreSQL " +
                "database. Run them through scripts/test.sh, which starts a throwaway server and sets it.");
        }

        var name = $"concert_multi_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return new PostgresDatabase(admin, name);
    }

    /// <summary>What a service instance connects with: a pool small enough that two instances and the test's
    /// own connections stay far below the server's limit. <paramref name="applicationName"/> names its sessions
    /// (<c>pg_stat_activity.application_name</c>).</summary>
    public string ServiceConnectionString(int maxPoolSize, string? applicationName = null) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { MaxPoolSize = maxPoolSize, ApplicationName = applicationName }.ToString();

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
