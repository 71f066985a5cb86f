using Concert.Application.Common.Options;
using Concert.Application.Common.Telemetry;
using Concert.Application.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concert.Infrastructure.Workers;

/// <summary>Every <see cref="QueueOptions.AdmissionInterval"/>: expire lapsed tokens, make a due opening's draw,
/// refill free slots in the line's order under the room's settings as they stand, and keep the queue gauges'
/// figures fresh when someone reads them.</summary>
public sealed class QueueAdmissionWorker(
    IServiceScopeFactory scopes, IOptions<QueueOptions> options, ILogger<QueueAdmissionWorker> logger)
    : PeriodicWorker(scopes, logger)
{
    protected override TimeSpan Interval => options.Value.AdmissionInterval;

    protected override async Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var queue = services.GetRequiredService<QueueService>();
        await queue.AdmitAsync(cancellationToken);
        if (services.GetRequiredService<ConcertMetrics>().QueueGaugesObserved)
        {
            await queue.RefreshLineIfStaleAsync(cancellationToken);
        }
    }
}
