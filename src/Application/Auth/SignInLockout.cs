using Concert.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Auth;

/// <summary>
/// The lockout rule as one conditional UPDATE each, so that failures counted by any instance add up exactly: the
/// database applies them one after another to the same row, and every right-hand side reads the row as it was.
/// </summary>
internal static class SignInLockout
{
    /// <summary>Counts a failure: a new window when the last one is over, a lockout at the window's fifth.</summary>
    public static Task<int> RecordFailureAsync(this IQueryable<User> users, DateTime now, CancellationToken ct)
    {
        var windowStart = now - User.FailureWindow;
        var lockedUntil = now + User.LockoutDuration;
        return users.ExecuteUpdateAsync(s => s
            .SetProperty(u => u.FailedSignIns, u => u.FailedSignInsSince > windowStart ? u.FailedSignIns + 1 : 1)
            .SetProperty(u => u.FailedSignInsSince, u => u.FailedSignInsSince > windowStart ? u.FailedSignInsSince : now)
            .SetProperty(u => u.LockedUntil, u =>
                (u.FailedSignInsSince > windowStart ? u.FailedSignIns + 1 : 1) >= User.MaxFailedSignIns ? lockedUntil : u.LockedUntil),
            ct);
    }

    /// <summary>A successful sign-in clears the count.</summary>
    public static Task<int> ClearFailuresAsync(this IQueryable<User> users, CancellationToken ct) =>
        users.Where(u => u.FailedSignIns != 0 || u.LockedUntil != null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(u => u.FailedSignIns, 0)
                .SetProperty(u => u.FailedSignInsSince, (DateTime?)null)
                .SetProperty(u => u.LockedUntil, (DateTime?)null), ct);
}
