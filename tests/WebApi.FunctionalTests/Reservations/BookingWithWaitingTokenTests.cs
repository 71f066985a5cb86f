using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>A token still waiting for its turn can neither hold, cancel nor pay (a queue of one active slot).</summary>
public sealed class BookingWithWaitingTokenTests
{
    [Fact]
    public async Task Waiting_token_can_neither_hold_cancel_nor_pay()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var (activeId, active) = await api.Client.BuyerAsync(500_000, "Active");
        var held = await api.Client.HoldIdAsync(active, 12);
        var waitingId = await api.Client.CreateUserAsync("Waiting");
        await api.Client.ChargeAsync(waitingId, 500_000);
        var status = await api.Client.JoinQueueAsync(waitingId);
        Assert.Equal("waiting", status.GetProperty("status").GetString());
        var waiting = status.GetProperty("token").GetString()!;

        await (await api.Client.HoldAsync(waiting, 13)).AssertProblemAsync(403, "queue_token_waiting");
        await (await api.Client.CancelAsync(waiting, held)).AssertProblemAsync(403, "queue_token_waiting");
        await (await api.Client.PayAsync(waiting, held)).AssertProblemAsync(403, "queue_token_waiting");
        await (await api.Client.PayAsync(waiting, held, "waiting-key")).AssertProblemAsync(403, "queue_token_waiting");

        Assert.Empty(await api.Client.ReservationsAsync(waitingId));
        Assert.Equal("held", await api.Client.ReservationStatusAsync(activeId, held));
        Assert.Equal(500_000, await api.Client.BalanceAsync(activeId));
        Assert.Equal(500_000, await api.Client.BalanceAsync(waitingId));
        Assert.Single(await api.Client.HistoryAsync(waitingId));
        Assert.Equal("waiting", await api.Client.QueueStatusAsync(waiting));
        var seats = await api.Client.SeatsAsync(active, 1);
        Assert.Equal("held", seats.Single(s => s.GetProperty("id").GetInt64() == 12).GetProperty("status").GetString());
        Assert.Equal("available", seats.Single(s => s.GetProperty("id").GetInt64() == 13).GetProperty("status").GetString());
    }
}
