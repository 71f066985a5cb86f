namespace Concert.Application.Common.Interfaces;

/// <summary>Salted, deliberately slow password hashes (Infrastructure uses ASP.NET Core Identity's hasher).</summary>
public interface IPasswordHasher
{
    string Hash(string password);

    PasswordCheck Verify(string hash, string password);
}

public enum PasswordCheck
{
    Failed,
    Success,

    /// <summary>Right, but hashed with older settings: store a fresh hash.</summary>
    SuccessRehashNeeded,
}
