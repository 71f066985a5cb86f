namespace Concert.Domain.Common;

/// <summary>
/// A failure the caller can act on. <see cref="Code"/> is the contract's stable machine-readable code,
/// <see cref="Message"/> a sentence for people.
/// </summary>
public sealed class DomainException(ErrorKind kind, string code, string message) : Exception(message)
{
    public ErrorKind Kind { get; } = kind;

    public string Code { get; } = code;
}
