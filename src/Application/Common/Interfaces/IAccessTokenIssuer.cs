using Concert.Domain.Users;

namespace Concert.Application.Common.Interfaces;

/// <summary>Issues the signed bearer token a user signs in for (Infrastructure implements it as a JWT).</summary>
public interface IAccessTokenIssuer
{
    IssuedAccessToken Issue(User user);
}

public sealed record IssuedAccessToken(string Token, TimeSpan Lifetime);
