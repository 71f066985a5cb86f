namespace Concert.Domain.Common;

/// <summary>
/// A failure the caller can act on. <see cref="Code"/> is the contract's stable machine-readable code,
/// <see cref="Message"/> a sentence for people, <see cref="RetryAfter"/> how long to wait before trying again
/// (when waiting helps).
/// </summary>
public sealed class DomainException(ErrorKind kind, string code, string message, TimeSpan? retryAfter = null) : Exception(message)
{
    public ErrorKind Kind { get; } = kind;

    public string Code { get; } = code;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}
