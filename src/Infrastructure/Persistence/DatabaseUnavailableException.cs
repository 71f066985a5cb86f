namespace Concert.Infrastructure.Persistence;

/// <summary>The database cannot be used at start: which one, and why, in words for the one log line it becomes.</summary>
public sealed class DatabaseUnavailableException(string database, string reason, Exception? inner = null)
    : Exception($"Cannot use the database {database}: {reason}", inner)
{
    public string Database { get; } = database;

    public string Reason { get; } = reason;
}
