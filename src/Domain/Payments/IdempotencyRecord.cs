namespace Concert.Domain.Payments;

/// <summary>
/// The stored outcome of a successful request made with an <c>Idempotency-Key</c>, keyed by (user, key).
/// Written in the same transaction as the payment, so a key exists exactly when its payment does.
/// </summary>
public sealed class IdempotencyRecord
{
    public const int MaxKeyLength = 64;

    private IdempotencyRecord() { }

    public long Id { get; private set; }

    public long UserId { get; private set; }

    public string Key { get; private set; } = "";

    /// <summary>A hash of what the request asked for; the same key with another fingerprint is a misuse.</summary>
    public string Fingerprint { get; private set; } = "";

    public int ResponseStatus { get; private set; }

    public string ResponseBody { get; private set; } = "";

    public DateTime CreatedAt { get; private set; }

    public static IdempotencyRecord Claim(long userId, string key, string fingerprint, DateTime now) =>
        new() { UserId = userId, Key = key, Fingerprint = fingerprint, CreatedAt = now };

    public void Complete(int status, string body)
    {
        ResponseStatus = status;
        ResponseBody = body;
    }

    public static bool IsValidKey(string? key) =>
        key is { Length: > 0 and <= MaxKeyLength } && key.All(c => c is >= '!' and <= '~');
}
