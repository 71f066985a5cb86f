namespace Concert.Application.Users;

public sealed record UserDto(long Id, string Name);
