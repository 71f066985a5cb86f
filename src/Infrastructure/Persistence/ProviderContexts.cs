using Microsoft.Data.Sqlite;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Concert.Infrastructure.Persistence;

public sealed class SqliteConcertDbContext(DbContextOptions<SqliteConcertDbContext> options) : ConcertDbContext(options)
{
    public override bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 };

    protected override RowLockStyle RowLocks => RowLockStyle.WriterLockHeld;
}

public sealed class SqlServerConcertDbContext(DbContextOptions<SqlServerConcertDbContext> options) : ConcertDbContext(options)
{
    public override bool IsUniqueViolation(DbUpdateException exception) =>
        exception.InnerException is SqlException { Number: 2601 or 2627 };

    protected override string Q(string identifier) => $"[{identifier}]";

    // OUTPUT INSERTED of a multi-row insert is possible, but EF's own MERGE does it with care for triggers and order.
    protected override bool InsertsReturningKeys => false;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        // SQL Server compares strings case-insensitively by default; a bearer token and an idempotency key must
        // match exactly (SQLite and PostgreSQL already compare bytes).
        modelBuilder.Entity<Domain.Queue.QueueToken>().Property(t => t.Token).UseCollation(BinaryCollation);
        modelBuilder.Entity<Domain.Payments.IdempotencyRecord>().Property(r => r.Key).UseCollation(BinaryCollation);
    }

    private const string BinaryCollation = "Latin1_General_100_BIN2";

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

    protected override RowLockStyle RowLocks => RowLockStyle.SelectForUpdate;

    protected override Action<System.Data.Common.DbBatch> SeparateCommits { get; } =
        batch => ((NpgsqlBatch)batch).EnableErrorBarriers = true;
}
