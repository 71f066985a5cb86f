using Microsoft.Data.Sqlite;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Concert.Infrastructure.Persistence;

public sealed class SqliteConcertDbContext(DbContextOptions<SqliteConcertDbContext> options) : ConcertDbContext(options)
{
    public override bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 };

}

public sealed class SqlServerConcertDbContext(DbContextOptions<SqlServerConcertDbContext> options) : ConcertDbContext(options)
{
    public override bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is SqlException { Number: 2601 or 2627 };

    protected override string Q(string identifier) => $"[{identifier}]";

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        configurationBuilder.Properties<DateTime>().HaveColumnType("datetime2");
    }
}

public sealed class PostgresConcertDbContext(DbContextOptions<PostgresConcertDbContext> options) : ConcertDbContext(options)
{
    public override bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
