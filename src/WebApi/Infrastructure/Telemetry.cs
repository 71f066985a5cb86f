using System.Diagnostics.Metrics;
using Concert.Application.Common.Telemetry;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Concert.WebApi.Infrastructure;

/// <summary>
/// Metrics (<c>GET /metrics</c>, Prometheus text) and traces (OTLP, only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
/// set). <c>Telemetry:Enabled=false</c> registers neither: the meters then have no listener and recording is a
/// flag check.
/// </summary>
public static class Telemetry
{
    /// <summary>The ASP.NET Core meters exported (names as the framework publishes them).</summary>
    public static readonly string[] AspNetCoreMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.RateLimiting",
        "Microsoft.AspNetCore.Diagnostics",
    ];

    /// <summary>Instruments of those meters not exported: ASP.NET Core's count of requests in flight is updated twice on
    /// every request (in, out), and nothing an operator watches reads it (the dashboard takes request rates, latencies
    /// and Kestrel's connections). With no stream left, its listener never enables it and the framework skips the
    /// updates: about half of what the meters cost a poll (issue 16).</summary>
    public static readonly string[] DroppedInstruments = ["http.server.active_requests"];

    /// <summary>Series kept per instrument. Each stream preallocates its points (72 bytes each): the SDK's default of
    /// 2,000 held 6 MB across the service's ~44 instruments, where the busiest (request duration) has one series per
    /// route, method and status seen: a few dozen. Past the limit, measurements still count, under
    /// <c>otel.metric.overflow</c>.</summary>
    public const int SeriesPerInstrument = 500;

    private static readonly MetricStreamConfiguration Bounded = new() { CardinalityLimit = SeriesPerInstrument };

    private static bool Enabled(IConfiguration configuration) => configuration.GetValue("Telemetry:Enabled", true);

    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        if (!Enabled(configuration))
        {
            return services;
        }

        var otel = services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(ConcertMetrics.MeterName)
                    // ASP.NET Core's own meters, chosen: requests (duration, in flight), connections, rate-limit
                    // rejections and unhandled exceptions. AddAspNetCoreInstrumentation() would add routing,
                    // authentication, authorization and memory-pool meters too, each recorded on every request:
                    // nothing an operator watches during a sale, and most of the meters' cost on a poll (issue 16).
                    .AddMeter(AspNetCoreMeters)
                    .AddNpgsqlInstrumentation()
                    .AddMeter("System.Runtime")
                    // Every scrape reads the meters afresh (the exporter would otherwise replay one answer for 300 ms).
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                ((IDeferredMeterProviderBuilder)metrics).Configure((sp, builder) =>
                {
                    // A MeterProvider listens by meter name, process-wide; meters made by IMeterFactory belong to one
                    // service provider. Several hosts in one process (tests) would otherwise add up each other's
                    // counts: keep only this host's (and meters no factory owns, such as Npgsql's).
                    var own = sp.GetRequiredService<IMeterFactory>();
                    builder.AddView(instrument =>
                        (instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own))
                        || DroppedInstruments.Contains(instrument.Name)
                            ? MetricStreamConfiguration.Drop
                            : Bounded);
                });
            });

        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(tracing => tracing
                .AddSource(ConcertTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/health"))
                .AddEntityFrameworkCoreInstrumentation()
                .AddOtlpExporter());
        }

        return services;
    }

    public static WebApplication MapTelemetry(this WebApplication app)
    {
        if (Enabled(app.Configuration))
        {
            // The meters exist once their owner does: create it now, so the gauges are there from the first scrape.
            app.Services.GetRequiredService<ConcertMetrics>();
            app.MapPrometheusScrapingEndpoint();
        }

        return app;
    }
}
