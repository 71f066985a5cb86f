using System.Linq.Expressions;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Queue;

/// <summary>Set-based token changes, the database-side twins of <see cref="QueueToken.Expire"/> and
/// <see cref="QueueToken.StatusAt"/>, so every path that expires tokens writes the same three columns.</summary>
public static class QueueTokenUpdates
{
    /// <summary>Tokens that time has already expired: active past their window, or waiting and idle since
    /// <paramref name="idleBefore"/>.</summary>
    public static Expression<Func<QueueToken, bool>> LapsedAt(DateTime now, DateTime idleBefore) =>
        t => (t.Status == QueueTokenStatus.Active && t.ExpiresAt <= now)
             || (t.Status == QueueTokenStatus.Waiting && t.LastSeenAt <= idleBefore);

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
