namespace Concert.Infrastructure.Auth;

/// <summary>The <c>Auth</c> configuration section.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Issuer and audience of every access token: tokens of another service are refused.</summary>
    public const string Issuer = "concert";

    /// <summary>Base64 of at least 32 bytes (HMAC-SHA256), the same on every instance. Required outside Development.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Keys rotated out that still validate tokens they signed, so a rotation signs nobody out.</summary>
    public string[] PreviousSigningKeys { get; set; } = [];

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>The <c>Admin</c> section: an operator account made sure of at start.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    public string? Email { get; set; }

    public string? Password { get; set; }
}
