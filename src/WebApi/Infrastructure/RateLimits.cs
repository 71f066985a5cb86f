using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;

namespace Concert.WebApi.Infrastructure;

/// <summary>The <c>RateLimits</c> section. Limits are per instance: with N instances a client gets up to N × each.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public bool Enabled { get; set; } = true;

    /// <summary>Sign-ups per client address per window.</summary>
    public int SignUps { get; set; } = 10;

    /// <summary>Sign-ins per client address per window (the per-account lockout is separate and shared).</summary>
    public int SignIns { get; set; } = 30;

    /// <summary>Joins per signed-in user per window (a join of a user with a live token answers that token).</summary>
    public int Joins { get; set; } = 20;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Proxies whose <c>X-Forwarded-For</c> is believed; nobody else's is.</summary>
    public string[] KnownProxies { get; set; } = [];
}

/// <summary>ASP.NET Core's own rate limiter: fixed windows per client address (sign-up, sign-in); joins per user
/// through <see cref="JoinRateLimiter"/>.</summary>
public static class RateLimits
{
    public const string SignUp = "sign-up";
    public const string SignIn = "sign-in";

    public static IServiceCollection AddRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            // The defaults trust loopback; the contract trusts only the proxies configured.
            forwarded.KnownIPNetworks.Clear();
#pragma warning disable CS0618, ASPDEPR005 // the older list is still consulted and still holds 127.0.0.0/8
            forwarded.KnownNetworks.Clear();
#pragma warning restore CS0618, ASPDEPR005
            forwarded.KnownProxies.Clear();
            foreach (var proxy in options.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    Problems.SetRetryAfter(context.HttpContext, retryAfter);
                }

                var (code, detail) = Problems.ForStatus(StatusCodes.Status429TooManyRequests);
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, code, detail);
            };
            if (!options.Enabled)
            {
                // One partition for everybody: a no-op partition per caller would keep a limiter per key, never
                // dropped.
                foreach (var policy in (string[])[SignUp, SignIn])
                {
                    limiter.AddPolicy(policy, _ => RateLimitPartition.GetNoLimiter("off"));
                }

                return;
            }

            limiter.AddPolicy(SignUp, http => Window(options, options.SignUps, $"address:{Address(http)}"));
            limiter.AddPolicy(SignIn, http => Window(options, options.SignIns, $"address:{Address(http)}"));
        });
        // Joins: one key per user, 100,000 of them in an opening's first minute (JoinRateLimiter says why not here).
        services.AddSingleton(sp => new JoinRateLimiter(sp.GetRequiredService<TimeProvider>(), options));
        return services;
    }

    /// <summary>Joins over <see cref="RateLimitOptions.Joins"/> per user per window: 429 <c>rate_limited</c>.</summary>
    public static RouteHandlerBuilder RequireJoinRateLimit(this RouteHandlerBuilder endpoint) =>
        endpoint.AddEndpointFilter<JoinRateLimitFilter>();

    private static string Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    // A caller's window is dropped once it is idle (its permits back in full, at most one window after its last
    // request), so the limiters held are those of the callers seen within the last window.
    private static RateLimitPartition<string> Window(RateLimitOptions options, int permits, string key) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = options.Window,
            QueueLimit = 0,
        });
}
