namespace Concert.Application.Common.Messaging;

/// <summary>The request needs a known <c>Queue-Token</c> (401 when missing or unknown), in any state.</summary>
public interface IRequireQueueToken;

/// <summary>
/// The request only reads its own token's status (a poll): it may be answered from this instance's copy of the line
/// (<see cref="Queue.WaitingLine"/>), which trails the database by about a second. Requests that act on a token never are.
/// </summary>
public interface IMayUseQueueTokenView : IRequireQueueToken;

/// <summary>The request needs an active queue token (403 when waiting or expired); its user is the caller.</summary>
public interface IRequireActiveQueueToken : IRequireQueueToken;

/// <summary>
/// The request may carry an <c>Idempotency-Key</c>: a retry with the same key and fingerprint replays the stored
/// outcome, and is answered even when the token has expired since.
/// </summary>
public interface IIdempotentRequest : IRequireQueueToken
{
    string? IdempotencyKey { get; }

    /// <summary>What the request asks for, canonically: equal for equal requests.</summary>
    string Fingerprint();
}

/// <summary>
/// The request names a user in its path (<c>/api/users/{userId}/…</c>): it must be the signed-in caller, else
/// 404 user_not_found whether or not that user exists, so ids cannot be probed.
/// </summary>
public interface IUserScopedRequest
{
    long UserId { get; }
}
