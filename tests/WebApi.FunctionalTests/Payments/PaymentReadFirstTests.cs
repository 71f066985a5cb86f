using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>
/// On SQLite a payment reads its rows before its transaction (the database's one write lock is not held while it
/// reads) and writes them conditionally on the versions read. These make a change commit exactly between that read
/// and the write, every time: the payment must read again and decide on the rows as they now are — a charge is not
/// lost, a cancelled hold is not sold. PostgreSQL reads these rows under its row locks (SELECT … FOR UPDATE), where
/// the other writer waits for the payment instead; <see cref="MoneyConservationTests"/> races both.
/// </summary>
public sealed class PaymentReadFirstTests
{
    [Fact]
    public async Task A_charge_committed_between_the_payments_read_and_its_write_is_not_lost()
    {
        SkipOnPostgres();
        var meddle = AfterAccountRead();
        await using var api = await StartAsync(meddle);
        var (userId, token) = await api.Client.BuyerAsync(300_000);
        var reservationId = await api.Client.HoldIdAsync(token, 1);
        var price = BookingCalls.PriceOfSeat(1);
        meddle.Arm(async () => Assert.Equal(305_000, await api.CreateClient().ChargeAsync(userId, 5_000)));

        var response = await api.Client.PayAsync(token, reservationId);

        Assert.True(meddle.Fired, "the payment never read the account outside a transaction");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(305_000 - price, (await response.JsonAsync()).GetProperty("balance").GetInt64());
        Assert.Equal(305_000 - price, await api.Client.BalanceAsync(userId));
        var history = await api.Client.HistoryAsync(userId);
        Assert.Equal(["payment", "charge", "charge"], history.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal(305_000 - price, history[0].GetProperty("balanceAfter").GetInt64());
        Assert.Equal(305_000 - price, history.Sum(e => e.GetProperty("amount").GetInt64()));
        Assert.Equal("sold", await api.Client.SeatStatusAsync(1));
    }

    [Fact]
    public async Task A_hold_cancelled_between_the_payments_read_and_its_write_is_not_sold()
    {
        SkipOnPostgres();
        var meddle = AfterAccountRead();
        await using var api = await StartAsync(meddle);
        var (userId, token) = await api.Client.BuyerAsync(300_000);
        var reservationId = await api.Client.HoldIdAsync(token, 2);
        meddle.Arm(async () => Assert.Equal(
            HttpStatusCode.NoContent, (await api.CreateClient().CancelAsync(token, reservationId)).StatusCode));

        var response = await api.Client.PayAsync(token, reservationId);

        Assert.True(meddle.Fired, "the payment never read the account outside a transaction");
        await response.AssertProblemAsync(409, "reservation_expired");
        Assert.Equal("cancelled", await api.Client.ReservationStatusAsync(userId, reservationId));
        Assert.Equal("available", await api.Client.SeatStatusAsync(2));
        Assert.Equal(300_000, await api.Client.BalanceAsync(userId));
        Assert.Equal(["charge"], (await api.Client.HistoryAsync(userId)).Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal("active", await api.Client.QueueStatusAsync(token));   // the refusal spent nothing
    }

    [Fact]
    public async Task A_hold_that_lapses_while_the_payment_waits_for_the_write_lock_is_not_sold()
    {
        SkipOnPostgres();
        var meddle = AfterAccountRead();
        await using var api = await StartAsync(meddle);
        var (userId, token) = await api.Client.BuyerAsync(300_000);
        var reservationId = await api.Client.HoldIdAsync(token, 3);
        // The rows were read while the hold was live; it lapses before the write (time passes as a payment queues).
        meddle.Arm(() =>
        {
            api.Clock.Advance(BookingCalls.HoldDuration + TimeSpan.FromSeconds(1));
            return Task.CompletedTask;
        });

        var response = await api.Client.PayAsync(token, reservationId);

        Assert.True(meddle.Fired, "the payment never read the account outside a transaction");
        await response.AssertProblemAsync(409, "reservation_expired");
        Assert.Equal("available", await api.Client.SeatStatusAsync(3));
        Assert.Equal(300_000, await api.Client.BalanceAsync(userId));
        Assert.Equal("active", await api.Client.QueueStatusAsync(token));
    }

    private static void SkipOnPostgres()
    {
        if (TestDatabase.ConfiguredProvider == "Postgres")
        {
            Assert.Skip("PostgreSQL reads a payment's rows under row locks: a concurrent writer waits for the payment.");
        }
    }

    /// <summary>After the last of the payment's reads (the account), so the rows as read reach the write.</summary>
    private static OnceAtRead AfterAccountRead() => new(sql => sql.Contains("FROM \"Accounts\"", StringComparison.Ordinal));

    private static Task<TestApi> StartAsync(OnceAtRead meddle) => TestApi.StartAsync(o =>
    {
        o.MaxActiveTokens = 10;
        o.Intercept(meddle);
    });
}
