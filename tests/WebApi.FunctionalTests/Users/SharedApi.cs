using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Users;

/// <summary>
/// One host for a whole test class whose tests do not interfere (each makes its own users and never moves the
/// clock). Tests of one class run one after another, so a test may also compare database counts before and after.
/// </summary>
public sealed class SharedApi : IAsyncLifetime
{
    public TestApi Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Api = await TestApi.StartAsync();
        // Someone is signed in from the start, so requests that name nobody in particular (an unknown id, a garbage
        // queue token) get past the bearer check to the answer they test.
        await Api.Client.CreateUserAsync("Signed in");
    }

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}
