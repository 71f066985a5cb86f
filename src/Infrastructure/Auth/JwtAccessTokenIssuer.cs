using Concert.Application.Common.Interfaces;
using Concert.Domain.Users;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Concert.Infrastructure.Auth;

/// <summary>Issues HS256 JWTs: <c>sub</c> the user id, <c>role</c> for operators, <c>exp</c> after the configured lifetime.</summary>
public sealed class JwtAccessTokenIssuer(SigningKeys keys, IOptions<AuthOptions> options, TimeProvider clock) : IAccessTokenIssuer
{
    public const string RoleClaim = "role";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public IssuedAccessToken Issue(User user)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var lifetime = options.Value.AccessTokenLifetime;
        var claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (user.Role == UserRole.Admin)
        {
            claims[RoleClaim] = "admin";
        }

        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthOptions.Issuer,
            Audience = AuthOptions.Issuer,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.HmacSha256),
        });
        return new IssuedAccessToken(token, lifetime);
    }
}
