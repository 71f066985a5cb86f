namespace Concert.Application.Common.Interfaces;

/// <summary>The signed-in caller of this request (the web edge reads it from the validated bearer token).</summary>
public interface ICurrentUser
{
    /// <summary>The caller's user id, or null when nobody is signed in (public endpoints).</summary>
    long? UserId { get; }

    bool IsAdmin { get; }
}

public static class CurrentUserExtensions
{
    /// <summary>The caller's id; 401 unauthenticated when nobody is signed in.</summary>
    public static long RequireId(this ICurrentUser user) => user.UserId ?? throw Domain.Common.Errors.Unauthenticated();
}
