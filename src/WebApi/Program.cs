using System.Text.Json;
using System.Text.Json.Serialization;
using Concert.Application;
using Concert.Application.Common.Behaviours;
using Concert.Application.Common.Interfaces;
using Concert.Application.Users.Commands.CreateUser;
using Concert.Infrastructure;
using Concert.Infrastructure.Auth;
using Concert.WebApi.Endpoints;
using Concert.WebApi.Infrastructure;
using Microsoft.AspNetCore.Diagnostics;
using Scalar.AspNetCore;
using Serilog;

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

builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 64 * 1024);

builder.Services.AddApplication(builder.Configuration);
builder.Services.AddInfrastructure(builder.Configuration);
builder.Services.AddHttpContextAccessor();
builder.Services.AddScoped<IQueueTokenAccessor, HttpQueueTokenAccessor>();
builder.Services.AddScoped<ICurrentUser, HttpCurrentUser>();
builder.Services.AddBearerAuthentication();

builder.Services.AddMediator(options =>
{
    options.ServiceLifetime = ServiceLifetime.Scoped;
    options.Assemblies = [typeof(CreateUserCommand)];
    // Outermost first, as the contract orders the checks (the bearer token, 401, is checked before any of these by
    // the authorization middleware): request shape (400) → queue token known and the caller's (401) → idempotent
    // replay → token active (403) → a path's user is the caller (404).
    options.PipelineBehaviors =
    [
        typeof(ValidationBehaviour<,>),
        typeof(QueueTokenBehaviour<,>),
        typeof(IdempotencyBehaviour<,>),
        typeof(ActiveQueueTokenBehaviour<,>),
        typeof(UserScopeBehaviour<,>),
    ];
});

builder.Services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddExceptionHandler<ApiExceptionHandler>();
builder.Services.AddProblemDetails();
builder.Services.AddOutputCache(o => o.AddPolicy(ConcertsEndpoints.ConcertListCachePolicy, p => p.Expire(TimeSpan.FromSeconds(5))));
builder.Services.AddOpenApi(o => o.AddOperationTransformer<QueueTokenOpenApiTransformer>());

var app = builder.Build();

try
{
    await app.Services.InitialiseDatabaseAsync();
    await app.Services.InitialiseAuthAsync(mayMakeKey: app.Environment.IsDevelopment());
}
catch (StartupException e)
{
    app.Logger.LogCritical("Cannot start: {Reason}", e.Message);
    return 1;
}

// Outermost, so the request line carries the status the client got (a domain 404 is logged as 404, not as the 500
// of the exception passing through); a real 500 is logged once, by ApiExceptionHandler, with its traceId.
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
app.UseAuthorization();
app.UseMiddleware<Utf8JsonBodyMiddleware>();
app.UseOutputCache();

app.MapOpenApi().AllowAnonymous();
app.MapScalarApiReference().AllowAnonymous();
app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
app.MapEndpointGroups();

await app.RunAsync();
return 0;

static void ConfigureJson(JsonSerializerOptions json)
{
    json.NumberHandling = JsonNumberHandling.Strict;
    json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
    json.Converters.Add(new UtcDateTimeJsonConverter());
    json.MaxDepth = 64;
}

/// <summary>The entry point, visible to the functional tests' host factory.</summary>
public partial class Program;
