using System.Collections.Concurrent;
using Concert.Application.Common.Interfaces;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace Concert.WebApi.FunctionalTests.Errors;

/// <summary>
/// A real unhandled exception deep in the pipeline answers 500 internal_error with a traceId, leaks nothing, and the
/// log has the exception under the same traceId.
/// </summary>
public sealed class UnhandledErrorTests
{
    [Fact]
    public async Task Unhandled_exception_is_a_bare_500_whose_traceId_the_log_shows()
    {
        var sink = new CapturingSink();
        await using var database = await TestDatabase.CreateAsync();
        await using var factory = new BrokenFactory(database, sink);
        factory.UseKestrel(0);
        factory.StartServer();
        using var client = factory.CreateDefaultClient(new SignedInHandler(database.Sessions));
        await client.CreateUserAsync();

        var response = await client.SendWithTokenAsync(HttpMethod.Get, "/api/queue/tokens/current", "any-token");

        var body = await response.AssertProblemAsync(500, "internal_error");
        var text = body.GetRawText();
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("disk on fire", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", text, StringComparison.Ordinal);
        var traceId = body.GetProperty("traceId").GetString()!;
        var logged = sink.Events.Where(e => e.Exception is InvalidOperationException { Message: "disk on fire" }).ToList();
        var entry = Assert.Single(logged);
        Assert.Equal(LogEventLevel.Error, entry.Level);
        Assert.Contains(traceId, entry.RenderMessage(), StringComparison.Ordinal);
    }

    private sealed class ThrowingAccessor : IQueueTokenAccessor
    {
        public string RawToken => throw new InvalidOperationException("disk on fire");
    }

    private sealed class CapturingSink : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();

        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }

    private sealed class BrokenFactory(TestDatabase database, CapturingSink sink) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            // Host settings: Program reads the provider while registering services, before app configuration.
            foreach (var (key, value) in TestApi.AuthSettings.Concat(database.Settings()).Append(new("Workers:Enabled", "false")))
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services =>
            {
                services.AddScoped<IQueueTokenAccessor, ThrowingAccessor>();
                services.AddSingleton<ILogEventSink>(sink);
            });
        }
    }
}
