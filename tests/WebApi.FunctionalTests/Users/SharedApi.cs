using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>
/// One host for a whole test class whose tests do not interfere (each makes its own users and never moves the
/// clock). Tests of one class run one after another, so a test may also compare database counts before and after.
/// </summary>
public sealed class SharedApi : IAsyncLifetime
{
    public TestApi Api { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Api = await TestApi.StartAsync();

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}
