using Concert.Domain.Common;

namespace Concert.Domain.Users;

public sealed class User
{
    public const int MaxNameLength = 50;

    public const int MaxEmailLength = 254;

    public const int MinPasswordLength = 8;

    public const int MaxPasswordLength = 128;

    /// <summary>Failed sign-ins within <see cref="FailureWindow"/> that lock the account for <see cref="LockoutDuration"/>.</summary>
    public const int MaxFailedSignIns = 5;

    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(15);

    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(5);

    private User() { }

    public long Id { get; private set; }

    public string Name { get; private set; } = "";

    /// <summary>As the user gave it; null only for users created before accounts had sign-in.</summary>
    public string? Email { get; private set; }

    /// <summary><see cref="Email"/> normalised (<see cref="NormalizeEmail"/>): unique, so one account per address whatever its case.</summary>
    public string? NormalizedEmail { get; private set; }

    /// <summary>A salted, slow hash; null only for users created before accounts had sign-in (they cannot sign in).</summary>
    public string? PasswordHash { get; private set; }

    public UserRole Role { get; private set; }

    public DateTime CreatedAt { get; private set; }

    /// <summary>Bumped to serialise per-user decisions (the hold limit) across instances.</summary>
    public long Version { get; private set; }

    /// <summary>Failed sign-ins counted since <see cref="FailedSignInsSince"/>; written only by a conditional update.</summary>
    public int FailedSignIns { get; private set; }

    public DateTime? FailedSignInsSince { get; private set; }

    public DateTime? LockedUntil { get; private set; }

    public static User Register(string name, string email, string passwordHash, DateTime now, UserRole role = UserRole.Fan)
    {
        if (!IsValidName(name))
        {
            throw Errors.Invalid("A name is 1–50 characters, not blank, without control characters.");
        }

        if (!IsValidEmail(email))
        {
            throw Errors.Invalid("An email is an address of at most 254 characters.");
        }

        return new User
        {
            Name = name,
            Email = email,
            NormalizedEmail = NormalizeEmail(email),
            PasswordHash = passwordHash,
            Role = role,
            CreatedAt = now,
        };
    }

    public static bool IsValidName(string? name) =>
        !string.IsNullOrWhiteSpace(name)
        && name.Length <= MaxNameLength
        && !name.Any(char.IsControl);

    /// <summary>One address, as a mail server would take it: a local part, an @, a domain with a dot.</summary>
    public static bool IsValidEmail(string? email)
    {
        if (string.IsNullOrEmpty(email) || email.Length > MaxEmailLength || email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return false;
        }

        var at = email.LastIndexOf('@');
        return at > 0 && at < email.Length - 1 && email.IndexOf('@') == at
               && email[(at + 1)..] is var domain && domain.Contains('.', StringComparison.Ordinal)
               && !domain.StartsWith('.') && !domain.EndsWith('.');
    }

    public static bool IsValidPassword(string? password) =>
        password is { Length: >= MinPasswordLength and <= MaxPasswordLength };

    /// <summary>Emails are unique without regard to case.</summary>
    public static string NormalizeEmail(string email) => email.ToUpperInvariant();

    public bool CanSignIn => PasswordHash is not null;

    public bool IsLockedOut(DateTime now) => LockedUntil > now;

    public void ChangePasswordHash(string passwordHash) => PasswordHash = passwordHash;

    public void MakeAdmin() => Role = UserRole.Admin;
}
