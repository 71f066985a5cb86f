using Concert.Infrastructure.Auth;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Concert.WebApi.Infrastructure;

/// <summary>Bearer tokens validated by ASP.NET Core's JWT handler; operators by an <c>admin</c> role policy.</summary>
public static class AuthenticationSetup
{
    public const string AdminPolicy = "admin";

    public static IServiceCollection AddBearerAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<ValidatedBearerCache>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeys, TimeProvider, ValidatedBearerCache>((options, keys, clock, cache) =>
            {
                options.MapInboundClaims = false;
                options.TimeProvider = clock;
                options.Events = new JwtBearerEvents
                {
                    // A token validated before is taken from memory until its own expiry (ValidatedBearerCache).
                    OnMessageReceived = context =>
                    {
                        var header = context.Request.Headers.Authorization.ToString();
                        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                            && cache.TryGet(header[7..].Trim(), out var principal))
                        {
                            context.Principal = principal;
                            context.Success();
                        }

                        return Task.CompletedTask;
                    },
                    OnTokenValidated = context =>
                    {
                        if (context.SecurityToken is JsonWebToken token && context.Principal is { } principal)
                        {
                            cache.Add(token.EncodedToken, principal, token.ValidTo);
                        }

                        return Task.CompletedTask;
                    },
                };
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = AuthOptions.Issuer,
                    ValidAudience = AuthOptions.Issuer,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    // Settled at start, after the options are built: resolve them per token.
                    IssuerSigningKeyResolver = (_, _, _, _) => keys.Validating,
                    NameClaimType = JwtRegisteredClaimNames.Sub,
                    RoleClaimType = JwtAccessTokenIssuer.RoleClaim,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ClockSkew = TimeSpan.Zero,
                    // The service's clock decides expiry (tests move it), not the machine's.
                    LifetimeValidator = (notBefore, expires, _, _) =>
                    {
                        var now = clock.GetUtcNow().UtcDateTime;
                        return expires is { } end && end > now && (notBefore is not { } start || start <= now);
                    },
                };
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole("admin"));
        return services;
    }
}
