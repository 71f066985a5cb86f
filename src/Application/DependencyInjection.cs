using Concert.Application.Common;
using Concert.Application.Common.Idempotency;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Application.Common.Telemetry;
using Concert.Application.Maintenance;
using Concert.Application.Queue;
using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.Application;

public static class DependencyInjection
{
    /// <summary>Application services. The mediator itself is registered by the host (its generator lives there).</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services, IConfiguration configuration)
    {
        // Validators hold only their rules (and options read once), so one of each serves every request: building the
        // rules took 1.4 % of the service's CPU in a payment rush when each request built its own.
        services.AddValidatorsFromAssembly(typeof(DependencyInjection).Assembly, ServiceLifetime.Singleton, includeInternalTypes: true);
        services.Configure<QueueOptions>(configuration.GetSection(QueueOptions.Section));
        services.Configure<ReservationOptions>(configuration.GetSection(ReservationOptions.Section));
        services.Configure<PaymentOptions>(configuration.GetSection(PaymentOptions.Section));
        services.AddScoped<QueueTokenContext>();
        // The request's database context, taken from the pool on first use: what a poll answered from memory skips.
        services.AddScoped(sp => new Lazy<IConcertDbContext>(sp.GetRequiredService<IConcertDbContext>));
        services.AddScoped<IdempotencyStore>();
        services.AddSingleton<WaitingLine>();
        services.AddSingleton<ConcertMetrics>();
        services.AddScoped<QueueService>();
        services.AddSingleton<JoinCommits>();
        services.AddSingleton<UnitCommits>();
        services.AddSingleton<PollRecords>();
        services.AddScoped<QueuePoll>();
        services.AddSingleton<QueueChanges>();
        services.AddSingleton<QueueStatusStreams>();
        services.AddScoped<Sweeper>();
        services.AddSingleton(TimeProvider.System);

        return services;
    }
}
