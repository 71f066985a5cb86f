using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Concert.Application.Common.Interfaces;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>
/// Twenty users charging, holding, cancelling and paying at once, with extra chargers topping up the same accounts,
/// for a bounded number of steps and at most a few seconds: no won is made or lost, every history adds up to its
/// balance, no seat is sold twice, and every confirmed reservation has exactly one payment. A payment checks out one
/// or several of the user's holds at once.
/// </summary>
public sealed class MoneyConservationTests
{
    private const int UserCount = 20;
    private const int StepsPerUser = 40;
    private const int ChargerCount = 4;
    private const int StepsPerCharger = 30;

    [Fact]
    public async Task Concurrent_charges_holds_cancels_and_payments_conserve_money_and_seats()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1000);
        // Schedules 4 and 5: a hundred seats for twenty users, so holds collide and seats run out.
        var seatPool = Enumerable.Range(151, 100).Select(n => (long)n).ToArray();
        var users = await BookingCalls.ForEachAsync(UserCount, 4, i => api.Client.ActiveUserAsync($"Spender {i}"));
        var charged = new long[UserCount];
        var paid = new long[UserCount];
        var payments = new ConcurrentBag<(int User, long PaymentId, long[] ReservationIds, long Amount)>();
        var holds = new ConcurrentBag<long>();
        var unexpected = new ConcurrentQueue<string>();
        var clients = api.Clients(UserCount + ChargerCount);
        var elapsed = Stopwatch.StartNew();

        async Task ChargeAsync(HttpClient client, int user, long amount)
        {
            var response = await client.PostAsJsonAsync($"/api/users/{users[user].UserId}/balance/charges", new { amount });
            var outcome = await response.OutcomeAsync();
            if (outcome == "200")
            {
                Interlocked.Add(ref charged[user], amount);
            }
            else
            {
                unexpected.Enqueue($"charge: {outcome}");
            }
        }

        await BookingCalls.RaceAsync(UserCount + ChargerCount, async w =>
        {
            var client = clients[w];
            var random = new Random(7_000 + w);
            if (w >= UserCount)
            {
                for (var step = 0; step < StepsPerCharger; step++)
                {
                    await ChargeAsync(client, random.Next(UserCount), random.Next(1, 100) * 1_000);
                }

                return 0;
            }

            var token = users[w].Token;
            var held = new List<long>();
            for (var step = 0; step < StepsPerUser; step++)
            {
                var action = random.Next(10) switch
                {
                    < 2 => "charge",
                    < 6 => "hold",
                    6 => held.Count > 0 ? "cancel" : "hold",
                    _ => held.Count > 0 ? "pay" : "charge",
                };
                if (action == "charge")
                {
                    await ChargeAsync(client, w, random.Next(10, 300) * 1_000);
                }
                else if (action == "hold")
                {
                    var response = await client.HoldAsync(token, seatPool[random.Next(seatPool.Length)]);
                    var outcome = await response.OutcomeAsync();
                    if (outcome == "201")
                    {
                        var id = (await response.JsonAsync()).GetProperty("id").GetInt64();
                        held.Add(id);
                        holds.Add(id);
                    }
                    else if (outcome is not ("409 seat_unavailable" or "409 hold_limit_reached" or "409 ticket_limit_reached"))
                    {
                        unexpected.Enqueue($"hold: {outcome}");
                    }
                }
                else if (action == "cancel")
                {
                    var pick = held[random.Next(held.Count)];
                    var outcome = await (await client.CancelAsync(token, pick)).OutcomeAsync();
                    if (outcome == "204")
                    {
                        held.Remove(pick);
                    }
                    else
                    {
                        unexpected.Enqueue($"cancel: {outcome}");
                    }
                }
                else
                {
                    // One to all of the holds, in a random order: one checkout.
                    var pick = held.OrderBy(_ => random.Next()).Take(random.Next(1, held.Count + 1)).ToArray();
                    var response = await client.PayAsync(token, pick);
                    var outcome = await response.OutcomeAsync();
                    if (outcome == "201")
                    {
                        var payment = await response.JsonAsync();
                        var amount = payment.GetProperty("amount").GetInt64();
                        Interlocked.Add(ref paid[w], amount);
                        payments.Add((w, payment.GetProperty("id").GetInt64(), pick, amount));
                        if (payment.GetProperty("balance").GetInt64() < 0)
                        {
                            unexpected.Enqueue($"payment left a negative balance: {payment}");
                        }

                        Assert.Equal(pick, BookingCalls.ReservationIdsOf(payment));
                        held.RemoveAll(pick.Contains);
                        token = await client.RejoinAsync(users[w].UserId);
                    }
                    else if (outcome != "409 insufficient_balance")
                    {
                        unexpected.Enqueue($"payment: {outcome}");
                    }
                }
            }

            return 0;
        });

        Assert.Empty(unexpected);
        Assert.NotEmpty(payments);
        Assert.True(holds.Count > payments.Count, $"{holds.Count} holds, {payments.Count} payments");

        // Money: every user's balance is their charges less their payments, and equals their history.
        var balances = await BookingCalls.ForEachAsync(UserCount, 4, u => api.Client.BalanceAsync(users[u].UserId));
        for (var u = 0; u < UserCount; u++)
        {
            var history = await api.Client.HistoryAsync(users[u].UserId);
            Assert.True(history.Count < 100, "The history must fit one page for this check.");
            Assert.Equal(charged[u] - paid[u], balances[u]);
            Assert.Equal(balances[u], history.Sum(e => e.GetProperty("amount").GetInt64()));
            Assert.Equal(charged[u], history.Where(e => e.GetProperty("kind").GetString() == "charge").Sum(e => e.GetProperty("amount").GetInt64()));
            Assert.All(history, e => Assert.True(e.GetProperty("balanceAfter").GetInt64() >= 0));
            if (history.Count > 0)
            {
                Assert.Equal(balances[u], history[0].GetProperty("balanceAfter").GetInt64());
            }

            Assert.Equal(
                payments.Where(p => p.User == u).Select(p => p.PaymentId).Order(),
                history.Where(e => e.GetProperty("kind").GetString() == "payment").Select(e => e.GetProperty("paymentId").GetInt64()).Order());
        }

        Assert.Equal(charged.Sum() - paid.Sum(), balances.Sum());

        // Seats: sold exactly to the confirmed reservations, held exactly by the live holds.
        var reservations = (await BookingCalls.ForEachAsync(UserCount, 4, u => api.Client.ReservationsAsync(users[u].UserId)))
            .SelectMany(r => r).ToList();
        var confirmed = reservations.Where(r => r.GetProperty("status").GetString() == "confirmed").ToList();
        var stillHeld = reservations.Where(r => r.GetProperty("status").GetString() == "held").ToList();
        Assert.Equal(payments.SelectMany(p => p.ReservationIds).Order(), confirmed.Select(r => r.GetProperty("id").GetInt64()).Order());
        var seats = (await api.Client.SeatStatusesAsync(4)).Concat(await api.Client.SeatStatusesAsync(5)).ToList();
        Assert.Equal(
            confirmed.Select(r => r.GetProperty("seatId").GetInt64()).Order(),
            seats.Where(s => s.Value == "sold").Select(s => s.Key).Order());
        Assert.Equal(
            stillHeld.Select(r => r.GetProperty("seatId").GetInt64()).Order(),
            seats.Where(s => s.Value == "held").Select(s => s.Key).Order());

        // Holds racing cancels and payments never pass the ticket limit: at most 4 held and paid seats a schedule.
        Assert.All(
            reservations.Where(r => r.GetProperty("status").GetString() is "held" or "confirmed")
                .GroupBy(r => (r.GetProperty("userId").GetInt64(), r.GetProperty("scheduleId").GetInt64())),
            g => Assert.True(g.Count() <= 4, $"user {g.Key.Item1} has {g.Count()} seats of schedule {g.Key.Item2}"));

        // Payments as stored: each confirmed reservation in exactly one, each for the sum of its reservations' prices.
        var stored = await api.InScopeAsync(sp => sp.GetRequiredService<IConcertDbContext>().Payments.AsNoTracking()
            .Select(p => new { p.Id, p.UserId, p.Amount, Items = p.Items.OrderBy(i => i.Line).Select(i => i.ReservationId).ToList() })
            .ToListAsync());
        Assert.Equal(payments.Select(p => p.PaymentId).Order(), stored.Select(p => p.Id).Order());
        Assert.All(payments, p => Assert.Equal(p.ReservationIds, stored.Single(s => s.Id == p.PaymentId).Items));
        Assert.All(stored.SelectMany(p => p.Items).GroupBy(id => id), g => Assert.Single(g));
        Assert.Equal(paid.Sum(), stored.Sum(p => p.Amount));
        var prices = confirmed.ToDictionary(r => r.GetProperty("id").GetInt64(), r => r.GetProperty("price").GetInt64());
        Assert.All(stored, p => Assert.Equal(p.Items.Sum(id => prices[id]), p.Amount));
        Assert.True(payments.Any(p => p.ReservationIds.Length > 1), "Some checkouts must pay several holds.");

        TestContext.Current.SendDiagnosticMessage(
            "{0} holds, {1} payments, {2} won charged, {3} won paid in {4}",
            holds.Count, payments.Count, charged.Sum(), paid.Sum(), elapsed.Elapsed);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
