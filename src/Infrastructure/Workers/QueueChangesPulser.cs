using Concert.Application.Common.Options;
using Microsoft.Extensions.Options;
using Concert.Application.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Concert.Infrastructure.Workers;

/// <summary>
/// While this instance has open status streams, reads the line again about once a second (which pulses
/// <see cref="QueueChanges"/>), so its streams learn of other instances' admissions and expiries even when nobody
/// polls here. Runs in every instance whatever <c>Workers:Enabled</c> says: it serves this process's own streams.
/// </summary>
public sealed class QueueChangesPulser(
    IServiceScopeFactory scopes, QueueStatusStreams streams, IOptions<QueueOptions> options, ILogger<QueueChangesPulser> logger)
    : BackgroundService
{
    // Half the copy's lifetime: a tick that finds it still fresh (a poll read it) leaves it to the next.

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LineReadInterval / 2);
        while (await TickAsync(timer, stoppingToken))
        {
            if (streams.OpenCount == 0)
            {
                continue;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<QueueService>().RefreshLineIfStaleAsync(stoppingToken);
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
