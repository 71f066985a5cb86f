using System.Diagnostics;

namespace Concert.Application.Common.Telemetry;

/// <summary>The span source for the mediator pipeline. With no listener (no OTLP endpoint configured) starting a
/// span returns null at the cost of one check.</summary>
public static class ConcertTracing
{
    public const string SourceName = "Concert.Application";

    public static readonly ActivitySource Source = new(SourceName);
}
