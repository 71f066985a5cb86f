namespace Concert.Application.Users;

/// <summary>A user as they see themselves. <see cref="Email"/> is null only for users from before sign-in existed.</summary>
public sealed record UserDto(long Id, string Name, string? Email);
