using System.Net.Http.Json;
using System.Text.Json;
using Concert.Application.Common.Interfaces;
using Concert.Application.Maintenance;
using Concert.Application.Queue;
using Concert.Infrastructure.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Concert.WebApi.FunctionalTests.Infrastructure;

public sealed class TestApiOptions
{
    public int MaxActiveTokens { get; set; } = 100;

    /// <summary>Background workers off by default, so tests decide when admission and sweeps run.</summary>
    public bool Workers { get; set; }

    public TimeSpan AdmissionInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    public Dictionary<string, string?> Settings { get; } = [];

    public string Environment { get; set; } = "Testing";

    /// <summary>Extra test services, e.g. a log sink (Serilog reads every registered <c>ILogEventSink</c>).</summary>
    public List<Action<IServiceCollection>> Services { get; } = [];

    /// <summary>Adds an EF Core interceptor to the service's database context, whichever provider the run uses.</summary>
    public void Intercept(IInterceptor interceptor) => Services.Add(s => s
        .ConfigureDbContext<SqliteConcertDbContext>(b => b.AddInterceptors(interceptor))
        .ConfigureDbContext<PostgresConcertDbContext>(b => b.AddInterceptors(interceptor)));
}

/// <summary>
/// The real host on a real Kestrel port over a fresh real database (SQLite file, or PostgreSQL), with a fake clock.
/// </summary>
public sealed class TestApi : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The signing key every test host shares (256 bits, base64), as every instance of a deployment does.</summary>
    public const string SigningKey = "dGVzdC1zaWduaW5nLWtleS1vZi0yNTYtYml0cy0xMjM0NTY3ODk=";

    public static readonly IReadOnlyDictionary<string, string?> AuthSettings = new Dictionary<string, string?>
    {
        ["Auth:SigningKey"] = SigningKey,
        // Long enough that tests which move the clock by days keep their users signed in; the expiry tests set their own.
        ["Auth:AccessTokenLifetime"] = "30.00:00:00",
        // The hash is deliberately slow (100,000 rounds by default); tests sign thousands of users up and in.
        ["Auth:PasswordHashIterations"] = "10",
        // Tests sign thousands of users up from one address; the rate-limit tests turn the limits on themselves.
        ["RateLimits:Enabled"] = "false",
    };

    private readonly Factory _factory;

    /// <summary>Whether disposing this host drops the database: false for a sibling on someone else's database.</summary>
    private readonly bool _ownsDatabase;

    private TestApi(Factory factory, TestDatabase database, bool ownsDatabase = true)
    {
        _factory = factory;
        Database = database;
        _ownsDatabase = ownsDatabase;
        Client = CreateClient();
    }

    public HttpClient Client { get; }

    public FakeTimeProvider Clock => _factory.Clock;

    public TestDatabase Database { get; }

    public IServiceProvider Services => _factory.Services;

    public static async Task<TestApi> StartAsync(Action<TestApiOptions>? configure = null)
    {
        var options = new TestApiOptions();
        configure?.Invoke(options);
        var database = await TestDatabase.CreateAsync();
        var factory = new Factory(options, database);
        factory.UseKestrel(0);
        factory.StartServer();
        return new TestApi(factory, database);
    }

    /// <summary>
    /// A host on an existing database (another service instance on the same data), or on a fresh one when
    /// <paramref name="shared"/> is null. A host on a shared database never drops it: its owner does.
    /// </summary>
    public static Task<TestApi> StartAsync(Action<TestApiOptions>? configure, TestDatabase? shared) =>
        shared is null ? StartAsync(configure) : StartOnAsync(configure, shared, clock: null);

    /// <summary>
    /// A second instance of the service on this host's database and clock, as when several instances run against
    /// one database. Disposing the sibling leaves the database to this host.
    /// </summary>
    public Task<TestApi> StartSiblingAsync(Action<TestApiOptions>? configure = null) =>
        StartOnAsync(configure, Database, Clock);

    private static Task<TestApi> StartOnAsync(Action<TestApiOptions>? configure, TestDatabase shared, FakeTimeProvider? clock)
    {
        var options = new TestApiOptions();
        configure?.Invoke(options);
        var factory = new Factory(options, shared, clock);
        factory.UseKestrel(0);
        factory.StartServer();
        return Task.FromResult(new TestApi(factory, shared, ownsDatabase: false));
    }

    /// <summary>A client of its own (its own connection), for racing requests.</summary>
    public HttpClient CreateClient() => _factory.CreateDefaultClient(new SignedInHandler(Database.Sessions));

    /// <summary>A client that sends exactly what the test puts on each request: no bearer is added.</summary>
    public HttpClient CreateRawClient() => _factory.CreateClient();

    public async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    /// <summary>One admission pass, as the worker would run it.</summary>
    public Task<int> AdmitAsync() => InScopeAsync(async sp =>
    {
        var queue = sp.GetRequiredService<QueueService>();
        return await queue.AdmitAsync(CancellationToken.None);
    });

    /// <summary>This instance reads the line again now (its copy otherwise lives up to a second).</summary>
    public Task ReadLineAsync() => InScopeAsync(async sp =>
    {
        await sp.GetRequiredService<WaitingLine>().RefreshAsync(sp.GetRequiredService<IConcertDbContext>(), CancellationToken.None);
        return 0;
    });

    /// <summary>Changes the room's row directly (what an operator's PATCH stores), for tests about something else.</summary>
    public Task SetRoomAsync(Action<Concert.Domain.Queue.QueueGate> change) => InScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<IConcertDbContext>();
        await db.InTransactionAsync(async ct =>
        {
            change(await db.LockQueueGateAsync(ct));
            await db.SaveChangesAsync(ct);
            return 0;
        }, CancellationToken.None);
        return 0;
    });

    public Task SweepAsync() => InScopeAsync(async sp =>
    {
        await sp.GetRequiredService<Sweeper>().SweepAsync(CancellationToken.None);
        return true;
    });

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        if (_ownsDatabase)
        {
            await Database.DisposeAsync();
        }
    }

    private sealed class Factory(TestApiOptions options, TestDatabase database, FakeTimeProvider? clock = null)
        : WebApplicationFactory<Program>
    {
        public FakeTimeProvider Clock { get; } = clock ?? new(DateTimeOffset.UtcNow);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment(options.Environment);
            var settings = new Dictionary<string, string?>
            {
                ["Seed:Demo"] = "true",
                ["Workers:Enabled"] = options.Workers ? "true" : "false",
                ["Queue:MaxActiveTokens"] = options.MaxActiveTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Queue:AdmissionInterval"] = options.AdmissionInterval.ToString(),
                ["Serilog:MinimumLevel:Default"] = "Warning",
            };
            foreach (var (key, value) in AuthSettings.Concat(database.Settings()).Concat(options.Settings))
            {
                // A null in the options takes the setting away: the service's own default applies.
                if (value is null)
                {
                    settings.Remove(key);
                }
                else
                {
                    settings[key] = value;
                }
            }

            // UseSetting, not only ConfigureAppConfiguration: the factory hands these to Program as command-line
            // arguments, so code that reads configuration before Build() (the database provider and path, whether
            // workers run) sees them too. ConfigureAppConfiguration alone applies only at Build() (aspnetcore#37680),
            // which left every host on appsettings' shared concert.db with its workers running.
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));

            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                options.Services.ForEach(configure => configure(services));
            });
        }
    }
}
