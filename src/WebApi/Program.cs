using System.Text.Json;
using System.Text.Json.Serialization;
using Concert.Application;
using Concert.Application.Common.Behaviours;
using Concert.Application.Common.Interfaces;
using Concert.Application.Users.Commands.CreateUser;
using Concert.Infrastructure;
using Concert.Infrastructure.Auth;
using Concert.Infrastructure.Persistence;
using Concert.WebApi.Endpoints;
using Concert.WebApi.Infrastructure;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Scalar.AspNetCore;
using Serilog;

// First, before the thread pool's threads allocate: a bounded number of glibc malloc arenas (MallocArenas).
MallocArenas.Limit(Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX"), Environment.GetEnvironmentVariable("GLIBC_TUNABLES"));

var builder = WebApplication.CreateBuilder(args);

// Each host keeps its own logger (preserveStaticLogger): several hosts in one process, as in the tests, must not
// write through whichever one set the static Log.Logger last.
builder.Host.UseSerilog(
    (context, services, logger) => logger
        .ReadFrom.Configuration(context.Configuration)
        .ReadFrom.Services(services)
        .Enrich.FromLogContext()
        .WriteTo.Console(outputTemplate:
            "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj} {Properties:j}{NewLine}{Exception}"),
    preserveStaticLogger: true);

builder.WebHost.ConfigureKestrel((context, kestrel) =>
{
    kestrel.Limits.MaxRequestBodySize = 64 * 1024;
    // A body trickled slower than this is cut off with 408 (Kestrel's BadHttpRequestException, answered by
    // ApiExceptionHandler); Kestrel's own defaults, made settable so that a test need not wait five seconds.
    var http = context.Configuration.GetSection("Http");
    kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(
        http.GetValue("MinRequestBodyBytesPerSecond", 240.0),
        http.GetValue("MinRequestBodyGracePeriod", TimeSpan.FromSeconds(5)));
});

builder.Services.AddApplication(builder.Configuration);
builder.Services.AddInfrastructure(builder.Configuration);
builder.Services.AddHttpContextAccessor();
builder.Services.AddScoped<IQueueTokenAccessor, HttpQueueTokenAccessor>();
builder.Services.AddScoped<ICurrentUser, HttpCurrentUser>();
builder.Services.AddBearerAuthentication();
builder.Services.AddRateLimits(builder.Configuration);
builder.Services.AddTelemetry(builder.Configuration);

builder.Services.AddMediator(options =>
{
    options.ServiceLifetime = ServiceLifetime.Scoped;
    options.Assemblies = [typeof(CreateUserCommand)];
    // Outermost first, as the contract orders the checks (the bearer token, 401, is checked before any of these by
    // the authorization middleware): a span per message → request shape (400) → queue token known and the
    // caller's (401) → idempotent replay → token active (403) → a path's user is the caller (404) → outcome counted
    // (only attempts that reached the handler).
    options.PipelineBehaviors =
    [
        typeof(TracingBehaviour<,>),
        typeof(ValidationBehaviour<,>),
        typeof(QueueTokenBehaviour<,>),
        typeof(IdempotencyBehaviour<,>),
        typeof(ActiveQueueTokenBehaviour<,>),
        typeof(UserScopeBehaviour<,>),
        typeof(OutcomeMetricsBehaviour<,>),
    ];
});

builder.Services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddExceptionHandler<ApiExceptionHandler>();
builder.Services.AddProblemDetails();
builder.Services.AddOutputCache(o => o.AddPolicy(ConcertsEndpoints.ConcertListCachePolicy, p => p.Expire(TimeSpan.FromSeconds(5))));
builder.Services.AddOpenApi(OpenApiContract.Configure);

var app = builder.Build();

try
{
    await app.Services.InitialiseDatabaseAsync();
    await app.Services.InitialiseAuthAsync(mayMakeKey: app.Environment.IsDevelopment());
}
catch (DatabaseUnavailableException unavailable)
{
    // One line that names the database and the reason: an operator's mistake (a path, a permission), not a bug.
    app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Concert.Startup").LogCritical(
        "Cannot start: the database {Database} cannot be used: {Reason}", unavailable.Database, unavailable.Reason);
    await app.DisposeAsync();
    return 1;
}
catch (StartupException e)
{
    app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Concert.Startup").LogCritical("Cannot start: {Reason}", e.Message);
    await app.DisposeAsync();
    return 1;
}

// Outermost, so the request line carries the status the client got (a domain 404 is logged as 404, not as the 500
// of the exception passing through); a real 500 is logged once, by ApiExceptionHandler, with its traceId.
// First: the client address every later step sees is the one the configured proxies vouch for (and, with none
// configured, the connection's own: X-Forwarded-For from anyone else is not believed).
if (app.Configuration.GetSection("RateLimits:KnownProxies").Get<string[]>() is { Length: > 0 })
{
    app.UseForwardedHeaders();
}
app.UseSerilogRequestLogging();
app.UseExceptionHandler(new ExceptionHandlerOptions { SuppressDiagnosticsCallback = _ => true });
app.UseStatusCodePages(context =>
{
    var (code, detail) = Problems.ForStatus(context.HttpContext.Response.StatusCode);
    return Problems.WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode, code, detail);
});
// The reference page (wwwroot): `/` is index.html. Public, so it is answered before authentication; only files that
// exist are answered here, and every other path, /api/… included, goes on to the endpoints and their problem+json.
app.UseDefaultFiles();
app.UseStaticFiles();
// Before the body is looked at: an unsigned caller is 401 whatever they send.
app.UseAuthentication();
// After authentication (joins are limited per user), before anything else: a 429 may come first.
app.UseRateLimiter();
app.UseAuthorization();
app.UseMiddleware<Utf8JsonBodyMiddleware>();
app.UseOutputCache();

app.MapOpenApi().AllowAnonymous();
app.MapScalarApiReference().AllowAnonymous();
app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
app.MapEndpointGroups();
app.MapTelemetry();

await app.RunAsync();
return 0;

static void ConfigureJson(JsonSerializerOptions json)
{
    json.NumberHandling = JsonNumberHandling.Strict;
    // The web defaults match names without regard to case and let a repeated member win silently: a client could
    // then send {"amount":1,"amount":900000} and get the second. Exact names, and a repeat is a malformed body.
    json.PropertyNameCaseInsensitive = false;
    json.AllowDuplicateProperties = false;
    json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
    json.Converters.Add(new UtcDateTimeJsonConverter());
    json.MaxDepth = 64;
}

/// <summary>The entry point, visible to the functional tests' host factory.</summary>
public partial class Program;
