using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>
/// One host shared by the tests of a class that neither move the clock nor need a special configuration; each test
/// makes its own users and uses seats no other test of the class touches. Room for many onlookers' tokens.
/// </summary>
public sealed class SharedBookingApi : IAsyncLifetime
{
    private TestApi? _api;
    private long _lastSeatId;

    public TestApi Api => _api ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>A seat no other test of the class was given (ids 1..450 in order), for classes that draw seats.</summary>
    public long NextSeatId() => Interlocked.Increment(ref _lastSeatId);

    public async ValueTask InitializeAsync()
    {
        _api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1000);
        // Someone is signed in from the start, whichever test runs first, so a request that names nobody in
        // particular (no queue token, say) gets past the bearer check to the answer it tests.
        await _api.Client.CreateUserAsync("Signed in");
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }
}
