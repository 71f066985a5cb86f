namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>One <see cref="ServicePair"/> shared by the tests that leave both instances running (a pair costs
/// seconds to start). Each test makes its own users.</summary>
public sealed class TwoInstancesFixture : IAsyncLifetime
{
    public const int MaxActiveTokens = 3;

    private ServicePair? _pair;

    public ServicePair Pair => _pair ?? throw new InvalidOperationException("The pair did not start.");

    public async ValueTask InitializeAsync() => _pair = await ServicePair.StartAsync(MaxActiveTokens);

    public async ValueTask DisposeAsync()
    {
        if (_pair is not null)
        {
            await _pair.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TwoInstancesCollection : ICollectionFixture<TwoInstancesFixture>
{
    public const string Name = "two running instances on one database";
}
