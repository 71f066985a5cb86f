using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Concert.Infrastructure.Persistence;

/// <summary>
/// Ready means the database answers reads and takes writes: one row written into the migrations history and
/// rolled back, on every provider. A read-only file, a read-only PostgreSQL transaction default or a standby server
/// all fail here, where a plain connection test passes.
/// </summary>
public sealed class DatabaseWritableHealthCheck(ConcertDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var insert = db.GetService<IHistoryRepository>()
                .GetInsertScript(new HistoryRow($"~ready-{Guid.NewGuid():N}", "write-check"));
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                await db.Database.ExecuteSqlRawAsync(insert, ct);
                await transaction.RollbackAsync(ct);
            }, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The reason without the exception: a probe every few seconds would print a stack trace each time.
            return HealthCheckResult.Unhealthy($"The database does not take writes: {e.Message}");
        }
    }
}
