using Concert.Domain.Common;

namespace Concert.Domain.Users;

public sealed class User
{
    public const int MaxNameLength = 50;

    private User() { }

    public long Id { get; private set; }

    public string Name { get; private set; } = "";

    public DateTime CreatedAt { get; private set; }

    /// <summary>Bumped to serialise per-user decisions (the hold limit) across instances.</summary>
    public long Version { get; private set; }

    public static User Create(string name, DateTime now)
    {
        if (!IsValidName(name))
        {
            throw Errors.Invalid("A name is 1–50 characters, not blank, without control characters.");
        }

        return new User { Name = name, CreatedAt = now };
    }

    public static bool IsValidName(string? name) =>
        !string.IsNullOrWhiteSpace(name)
        && name.Length <= MaxNameLength
        && !name.Any(char.IsControl);
}
