using System.Globalization;
using System.Text;
using Concert.Domain.Common;

namespace Concert.Domain.Users;

public sealed class User
{
    /// <summary>A name's length as a reader counts it: grapheme clusters (an emoji is one).</summary>
    public const int MaxNameLength = 50;

    /// <summary>The stored column's bound in UTF-16 units: 50 of the longest common emoji (12 units each, a couple
    /// with skin tones) fit; a cluster stuffed with combining marks cannot make a name unbounded.</summary>
    public const int MaxNameUtf16Length = 600;

    public const string NameRule =
        "A name is 1–50 characters as a reader counts them, with something visible, and without control, "
        + "bidirectional-override, noncharacter or unassigned characters.";

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
            throw Errors.Invalid(NameRule);
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

    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameUtf16Length)
        {
            return false;
        }

        var visible = false;
        for (var i = 0; i < name.Length;)
        {
            if (Rune.DecodeFromUtf16(name.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                return false;   // a lone surrogate
            }

            i += used;
            if (IsRefused(rune))
            {
                return false;
            }

            visible |= !IsInvisible(rune);
        }

        return visible && new StringInfo(name).LengthInTextElements <= MaxNameLength;
    }

    private static bool IsRefused(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.Control or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate
                   or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
               || rune.Value is >= 0x202A and <= 0x202E or >= 0x2066 and <= 0x2069
               || IsNoncharacter(rune.Value);
    }

    /// <summary>U+FDD0–U+FDEF and the last two code points of every plane (also unassigned; said for clarity).</summary>
    private static bool IsNoncharacter(int value) =>
        value is >= 0xFDD0 and <= 0xFDEF || (value & 0xFFFE) == 0xFFFE;

    /// <summary>Draws nothing by itself: spaces, format characters (U+200B, U+FEFF, U+2060…), marks that only
    /// decorate a base, and the blank letters used to fake an empty name (Hangul fillers, the blank Braille cell).</summary>
    private static bool IsInvisible(Rune rune) =>
        Rune.IsWhiteSpace(rune)
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.EnclosingMark
        || rune.Value is 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800;

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
