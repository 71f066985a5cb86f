using System.Linq.Expressions;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Queue;

/// <summary>Set-based token changes, the database-side twins of <see cref="QueueToken.Expire"/> and
/// <see cref="QueueToken.StatusAt"/>, so every path that expires tokens writes the same three columns.</summary>
public static class QueueTokenUpdates
{
    /// <summary>Active tokens whose window has ended by <paramref name="now"/>.</summary>
    public static Expression<Func<QueueToken, bool>> LifetimeOverAt(DateTime now) =>
        t => t.Status == QueueTokenStatus.Active && t.ExpiresAt <= now;

    /// <summary>Tokens in line (pre-queue or waiting) whose last recorded poll is at or before <paramref name="idleBefore"/>.</summary>
    public static Expression<Func<QueueToken, bool>> IdleSince(DateTime idleBefore) =>
        t => (t.Status == QueueTokenStatus.Waiting || t.Status == QueueTokenStatus.Prequeue) && t.LastSeenAt <= idleBefore;

    /// <summary>Expires the tokens of <paramref name="tokens"/> that time has already expired: active past their
    /// window, or in line and idle since <paramref name="idleBefore"/>. Two statements, so each reason's rows
    /// affected can be counted.</summary>
    public static async Task<(int Idle, int Lifetime)> ExpireLapsedAsync(
        this IQueryable<QueueToken> tokens, DateTime now, DateTime idleBefore, CancellationToken cancellationToken)
    {
        var lifetime = await tokens.Where(LifetimeOverAt(now)).ExpireAsync(now, cancellationToken);
        var idle = await tokens.Where(IdleSince(idleBefore)).ExpireAsync(now, cancellationToken);
        return (idle, lifetime);
    }

    /// <summary>Tokens active at <paramref name="now"/>: the SQL twin of <c>StatusAt(now, …) == Active</c>.</summary>
    public static Expression<Func<QueueToken, bool>> ActiveAt(DateTime now) =>
        t => t.Status == QueueTokenStatus.Active && t.ExpiresAt > now;

    /// <summary>Expires every token of <paramref name="tokens"/> that is not yet expired (clearing its live-user slot).</summary>
    public static Task<int> ExpireAsync(this IQueryable<QueueToken> tokens, DateTime now, CancellationToken cancellationToken) =>
        tokens
            .Where(t => t.Status != QueueTokenStatus.Expired)
            .ExecuteUpdateAsync(s => s
                .SetProperty(t => t.Status, QueueTokenStatus.Expired)
                .SetProperty(t => t.LiveUserId, (long?)null)
                .SetProperty(t => t.ExpiredAt, now), cancellationToken);
}
