using Concert.Application.Maintenance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concert.Infrastructure.Workers;

public sealed class SweepWorker(IServiceScopeFactory scopes, IOptions<WorkerOptions> options, ILogger<SweepWorker> logger)
    : PeriodicWorker(scopes, logger)
{
    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override Task RunOnceAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<Sweeper>().SweepAsync(cancellationToken);
}
