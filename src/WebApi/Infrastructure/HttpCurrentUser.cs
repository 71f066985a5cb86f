using System.Globalization;
using Concert.Application.Common.Interfaces;
using Concert.Infrastructure.Auth;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Concert.WebApi.Infrastructure;

/// <summary>The caller, read from the bearer token the authentication middleware validated.</summary>
public sealed class HttpCurrentUser(IHttpContextAccessor http) : ICurrentUser
{
    public long? UserId =>
        http.HttpContext?.User is { Identity.IsAuthenticated: true } principal
        && long.TryParse(principal.FindFirst(JwtRegisteredClaimNames.Sub)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : null;

    public bool IsAdmin => http.HttpContext?.User.IsInRole("admin") == true;
}
