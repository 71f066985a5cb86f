namespace Concert.Application.Common.Telemetry;

/// <summary>The use case's outcomes are counted (<see cref="ConcertMetrics.Outcome"/>): won/lost holds, payments, charges.</summary>
public interface IMeasuredOutcome;
