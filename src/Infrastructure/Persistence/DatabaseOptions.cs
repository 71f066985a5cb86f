namespace Concert.Infrastructure.Persistence;

public enum DatabaseProvider
{
    Sqlite,
    SqlServer,
    Postgres,
}

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>The SQLite file (the embedded default); relative paths are relative to the working directory.</summary>
    public string SqlitePath { get; set; } = "concert.db";

    public int SqliteBusyTimeoutMs { get; set; } = 30_000;

    /// <summary>Writers to the SQLite file queue in this process for their turn (<see cref="SqliteWriterGate"/>)
    /// instead of sleeping in SQLite's busy handler. Off only to measure the difference.</summary>
    public bool SqliteWriterGate { get; set; } = true;

    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>Retries of a transient failure (server providers) before the request fails.</summary>
    public int MaxRetryCount { get; set; } = 5;
}

public sealed class SeedOptions
{
    public const string Section = "Seed";

    public bool Demo { get; set; } = true;
}
