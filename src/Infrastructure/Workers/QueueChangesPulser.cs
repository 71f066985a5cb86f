using Concert.Application.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Concert.Infrastructure.Workers;

/// <summary>
/// While this instance has open status streams, refreshes its snapshot and view about once a second (which pulses
/// <see cref="QueueChanges"/>), so its streams learn of other instances' admissions and expiries even when nobody
/// polls here. Runs in every instance whatever <c>Workers:Enabled</c> says: it serves this process's own streams.
/// </summary>
public sealed class QueueChangesPulser(
    IServiceScopeFactory scopes, QueueStatusStreams streams, ILogger<QueueChangesPulser> logger) : BackgroundService
{
    // Half the snapshot's lifetime: a tick that finds it still fresh (a poll refreshed it) leaves it to the next.
    private static readonly TimeSpan Interval = QueueSnapshotCache.MaxAge / 2;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await TickAsync(timer, stoppingToken))
        {
            if (streams.OpenCount == 0)
            {
                continue;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<QueueService>().RefreshSnapshotIfStaleAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Queue refresh for open streams failed; retrying at the next tick");
            }
        }
        }

    private static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
