using System.Security.Claims;
using Concert.WebApi.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Concert.WebApi.FunctionalTests.Accounts;

/// <summary>The cache of validated bearer tokens on its own: only the exact token finds its entry, the caller's id
/// and role come back, and never past the token's expiry.</summary>
public sealed class ValidatedBearerCacheTests
{
    private static readonly DateTime Now = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);
    private const string Token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl";

    private static ClaimsPrincipal Principal(string subject, string? role) =>
        new(new ClaimsIdentity(
            new[] { new Claim("sub", subject), new Claim("iss", "concert"), new Claim("aud", "concert") }
                .Concat(role is null ? [] : [new Claim("role", role)]),
            "Bearer", "sub", "role"));

    [Fact]
    public void The_exact_token_finds_its_caller_and_role()
    {
        var cache = new ValidatedBearerCache(new FakeTimeProvider(Now));
        cache.Add(Token, Principal("42", "admin"), Now.AddHours(1));

        Assert.True(cache.TryGet(Token, out var principal));
        Assert.Equal("42", principal.Identity!.Name);
        Assert.True(principal.IsInRole("admin"));
        Assert.Equal("Bearer", principal.Identity.AuthenticationType);
        Assert.True(principal.Identity.IsAuthenticated);
        Assert.Null(principal.FindFirst("iss"));   // only what is read is kept
    }

    [Fact]
    public void Another_token_even_one_character_apart_finds_nothing()
    {
        var cache = new ValidatedBearerCache(new FakeTimeProvider(Now));
        cache.Add(Token, Principal("42", null), Now.AddHours(1));

        Assert.False(cache.TryGet(Token[..^1] + "x", out _));
        Assert.False(cache.TryGet(Token + " ", out _));
        Assert.True(cache.TryGet(Token, out var principal));
        Assert.False(principal.IsInRole("admin"));
    }

    [Fact]
    public void A_token_is_not_found_from_its_expiry_on()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new ValidatedBearerCache(clock);
        cache.Add(Token, Principal("42", null), Now.AddMinutes(10));

        clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.True(cache.TryGet(Token, out _));
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(cache.TryGet(Token, out _));
        Assert.Equal(0, cache.Count);
    }
}
