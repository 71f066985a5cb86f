using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Concert.WebApi.FunctionalTests.Infrastructure;

/// <summary>Keeps every log event a host writes (at the host's level, Warning in <see cref="TestApi"/>).</summary>
public sealed class CapturingLogSink : ILogEventSink
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);

    /// <summary>Forgets what was logged so far (a host's start, e.g. EF probing a fresh PostgreSQL database).</summary>
    public void Clear() => Events.Clear();

    /// <summary>Errors, and anything carrying an exception (a stack trace in the log).</summary>
    public IEnumerable<string> Errors() =>
        Events.Where(e => e.Level >= LogEventLevel.Error || e.Exception is not null)
            .Select(e => $"{e.Level}: {e.RenderMessage()} {e.Exception?.GetType().Name}");
}
