using Microsoft.Data.Sqlite;

namespace Concert.Infrastructure.Persistence;

/// <summary>
/// Before EF touches a SQLite file at start: opens it, makes it WAL, and takes the write lock once (rolled back), on
/// a bare connection so that a missing folder, a read-only or a corrupt file becomes one
/// <see cref="DatabaseUnavailableException"/> instead of EF's error lines with their stack traces.
/// </summary>
public static class SqliteStartupCheck
{
    public static async Task CheckAsync(string connectionString, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(new SqliteConnectionStringBuilder(connectionString).DataSource);
        try
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await SqlitePragmaInterceptor.EnableWalAsync(connection, cancellationToken);
            await using var write = connection.CreateCommand();
            write.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e)
        {
            throw new DatabaseUnavailableException(path, $"{Explain(e, path)} ({e.Message.TrimEnd('.')})", e);
        }
        finally
        {
            SqliteConnection.ClearPool(new SqliteConnection(connectionString));
        }
    }

    private static string Explain(SqliteException e, string path) => e.SqliteErrorCode switch
    {
        14 when !Directory.Exists(Path.GetDirectoryName(path)) => "its folder does not exist",
        14 => "the file cannot be opened",
        8 => "the file is read-only",
        26 or 11 => "the file is not a SQLite database or is corrupt",
        _ => "the file cannot be used",
    };
}
