using Microsoft.IdentityModel.Tokens;

namespace Concert.Infrastructure.Auth;

/// <summary>
/// The keys this instance signs and validates access tokens with, settled once at start (from configuration, or in
/// Development from the database) by <see cref="AuthInitialiser"/>.
/// </summary>
public sealed class SigningKeys
{
    public const int MinKeyBytes = 32;

    private SymmetricSecurityKey? _current;

    public SymmetricSecurityKey Current => _current ?? throw new InvalidOperationException("The signing keys were not initialised at start.");

    /// <summary>The current key first, then the previous ones that still validate.</summary>
    public IReadOnlyList<SecurityKey> Validating { get; private set; } = [];

    internal void Set(byte[] current, IEnumerable<byte[]> previous)
    {
        _current = Key(current, "current");
        Validating = [_current, .. previous.Select((bytes, i) => Key(bytes, $"previous-{i}"))];
    }

    /// <summary>Decodes a configured key, or says in one sentence why it cannot be used.</summary>
    internal static byte[] Decode(string base64, string setting)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{setting} is not base64.");
        }

        return bytes.Length >= MinKeyBytes
            ? bytes
            : throw new InvalidOperationException($"{setting} is {bytes.Length * 8} bits; it must be at least {MinKeyBytes * 8}.");
    }

    private static SymmetricSecurityKey Key(byte[] bytes, string id) => new(bytes) { KeyId = id };
}
