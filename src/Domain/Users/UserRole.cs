namespace Concert.Domain.Users;

/// <summary>What a user may do beyond their own data: operators run the waiting room.</summary>
public enum UserRole
{
    Fan,
    Admin,
}
