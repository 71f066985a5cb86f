using Concert.Application.Common.Interfaces;
using Concert.Domain.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Concert.Infrastructure.Auth;

/// <summary>ASP.NET Core Identity's PBKDF2 hasher (<c>Auth:PasswordHashIterations</c>, default Identity's own).</summary>
public sealed class IdentityPasswordHasher(IOptions<PasswordHasherOptions> options) : Application.Common.Interfaces.IPasswordHasher
{
    private readonly PasswordHasher<User> _hasher = new(options);

    // Identity's hasher takes the user only to let subclasses salt per user; the default ignores it.
    public string Hash(string password) => _hasher.HashPassword(null!, password);

    public PasswordCheck Verify(string hash, string password) => _hasher.VerifyHashedPassword(null!, hash, password) switch
    {
        PasswordVerificationResult.Success => PasswordCheck.Success,
        PasswordVerificationResult.SuccessRehashNeeded => PasswordCheck.SuccessRehashNeeded,
        _ => PasswordCheck.Failed,
    };
}
