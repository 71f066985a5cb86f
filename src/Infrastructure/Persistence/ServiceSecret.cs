namespace Concert.Infrastructure.Persistence;

/// <summary>
/// A secret the service made for itself and every instance must share (in Development, the token signing key), kept
/// in the database so that restarts and other instances agree. The first instance to insert it wins.
/// </summary>
public sealed class ServiceSecret
{
    private ServiceSecret() { }

    public ServiceSecret(string name, string value, DateTime createdAt)
    {
        Name = name;
        Value = value;
        CreatedAt = createdAt;
    }

    public string Name { get; private set; } = "";

    public string Value { get; private set; } = "";

    public DateTime CreatedAt { get; private set; }
}
