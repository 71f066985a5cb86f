using System.Data.Common;
using Npgsql;

namespace Concert.Infrastructure.Persistence;

/// <summary>
/// The service's defaults for a PostgreSQL connection string, each applied only where the string does not set it.
/// </summary>
public static class PostgresConnectionString
{
    /// <summary>
    /// Statements Npgsql prepares per connection once each has run a few times (<c>Max Auto Prepare</c>). EF Core never
    /// prepares its commands, so without it PostgreSQL parses, analyses and plans every statement of every request
    /// again: about 29 % of the server's CPU during a payment rush (docs/writes.md). A prepared statement skips that.
    /// Set <c>Max Auto Prepare=0</c> in <c>ConnectionStrings:Concert</c> to turn it off, e.g. behind a connection
    /// pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or without
    /// <c>max_prepared_statements</c>).
    /// </summary>
    public const int MaxAutoPrepare = 64;

    public static string WithDefaults(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return given.ContainsKey("Max Auto Prepare") || given.ContainsKey("MaxAutoPrepare")
            ? connectionString
            : new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = MaxAutoPrepare }.ConnectionString;
    }
}
