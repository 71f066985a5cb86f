namespace Concert.Domain.Common;

/// <summary>What kind of failure an error is; the web edge turns each kind into one HTTP status.</summary>
public enum ErrorKind
{
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Unprocessable,
    TooManyRequests,
}
