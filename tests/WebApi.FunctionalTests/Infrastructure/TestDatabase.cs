using Npgsql;

namespace Concert.WebApi.FunctionalTests.Infrastructure;

/// <summary>
/// A fresh database for one test host: a SQLite file (the default) or, when <c>CONCERT_TEST_PROVIDER=Postgres</c>,
/// a new database on the server named by <c>CONCERT_TEST_POSTGRES</c> (which <c>scripts/test.sh</c> starts). A
/// Postgres run without a server fails; it never falls back silently.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _adminConnectionString;

    private TestDatabase(string provider, string? sqlitePath, string? connectionString, string? adminConnectionString, string? name)
    {
        Provider = provider;
        SqlitePath = sqlitePath;
        ConnectionString = connectionString;
        _adminConnectionString = adminConnectionString;
        Name = name;
    }

    public static string ConfiguredProvider =>
        Environment.GetEnvironmentVariable("CONCERT_TEST_PROVIDER") is { Length: > 0 } p ? p : "Sqlite";

    public string Provider { get; }

    public string? SqlitePath { get; }

    public string? ConnectionString { get; }

    public string? Name { get; }

    public bool IsPostgres => Provider == "Postgres";

    /// <summary>Who is signed in on this data: shared by every host and client on it.</summary>
    public Sessions Sessions { get; } = new();

    public static async Task<TestDatabase> CreateAsync()
    {
        if (ConfiguredProvider == "Postgres")
        {
            var admin = Environment.GetEnvironmentVariable("CONCERT_TEST_POSTGRES")
                        ?? throw new InvalidOperationException(
                            "CONCERT_TEST_PROVIDER=Postgres needs CONCERT_TEST_POSTGRES (scripts/test.sh sets both).");
            var name = $"concert_test_{Guid.NewGuid():N}";
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                await create.ExecuteNonQueryAsync();
            }

            var cs = new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 200 }.ToString();
            return new TestDatabase("Postgres", null, cs, admin, name);
        }

        var dir = Path.Combine(Path.GetTempPath(), "concert-tests");
        Directory.CreateDirectory(dir);
        return new TestDatabase("Sqlite", Path.Combine(dir, $"{Guid.NewGuid():N}.db"), null, null, null);
    }

    public IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        yield return new("Database:Provider", Provider);
        if (IsPostgres)
        {
            yield return new("ConnectionStrings:Concert", ConnectionString);
        }
        else
        {
            yield return new("Database:SqlitePath", SqlitePath);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (IsPostgres)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_adminConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        else if (SqlitePath is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                try
                {
                    File.Delete(SqlitePath + suffix);
                }
                catch (IOException)
                {
                    // Best effort: the temp folder is the fallback.
                }
            }
        }
    }
}
