using System.Diagnostics.Metrics;

namespace Concert.Application.UnitTests.TestSupport;

/// <summary>Meters that nobody listens to, for services built by hand.</summary>
public sealed class DummyMeterFactory : IMeterFactory
{
    public Meter Create(MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}
