using Concert.Application.Common.Interfaces;
using Concert.Domain.Common;
using Concert.Domain.Users;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Concert.Application.Auth.Commands.SignIn;

public sealed record SignInCommand(string Email, string Password) : ICommand<AccessTokenDto>
{
    /// <summary>Never in a log line: records print their members.</summary>
    public override string ToString() => $"SignInCommand {{ Email = {Email} }}";
}

/// <summary>
/// Checks the password against its slow hash and issues a bearer token. Failures are counted in the user's row
/// (<see cref="SignInLockout"/>), so the lockout holds whichever instance each attempt reaches. An unknown email
/// costs a hash too, and answers exactly as a wrong password does.
/// </summary>
public sealed class SignInCommandHandler(
    IConcertDbContext db,
    IPasswordHasher hasher,
    IAccessTokenIssuer issuer,
    TimeProvider clock,
    ILogger<SignInCommandHandler> logger)
    : ICommandHandler<SignInCommand, AccessTokenDto>
{
    /// <summary>Verified when the email is unknown, so that answer takes as long as a wrong password.</summary>
    private static string? _decoyHash;

    public async ValueTask<AccessTokenDto> Handle(SignInCommand command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var normalized = User.NormalizeEmail(command.Email);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        if (user is null || !user.CanSignIn)
        {
            hasher.Verify(_decoyHash ??= hasher.Hash("decoy password"), command.Password);
            throw Errors.InvalidCredentials();
        }

        if (user.IsLockedOut(now))
        {
            throw Errors.TooManyAttempts(user.LockedUntil!.Value - now);
        }

        var verified = hasher.Verify(user.PasswordHash!, command.Password);
        var row = db.Users.Where(u => u.Id == user.Id);
        if (verified == PasswordCheck.Failed)
        {
            await row.RecordFailureAsync(now, cancellationToken);
            logger.LogInformation("Failed sign-in for user {UserId}", user.Id);
            throw Errors.InvalidCredentials();
        }

        await row.ClearFailuresAsync(cancellationToken);
        if (verified == PasswordCheck.SuccessRehashNeeded)
        {
            await row.ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, hasher.Hash(command.Password)), cancellationToken);
        }

        var token = issuer.Issue(user);
        return new AccessTokenDto(token.Token, "Bearer", (long)token.Lifetime.TotalSeconds);
    }
}
