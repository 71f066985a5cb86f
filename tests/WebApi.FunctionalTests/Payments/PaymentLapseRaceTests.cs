using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>
/// A payment racing its own hold's lapse while another user grabs the same seat: the seat ends sold to the payer
/// or held by the newcomer (or, when each lost to the other's moment, free) — never both. Rounds just before the
/// boundary, exactly at it, and with the clock crossing it while the two requests run. The clock only moves forward,
/// so each round has a hold of its own, taken a second after the previous one.
/// </summary>
public sealed class PaymentLapseRaceTests
{
    private const int Rounds = 18;

    [Fact]
    public async Task Payment_racing_the_lapse_of_its_hold_and_a_new_hold_never_both_win()
    {
        await using var api = await TestApi.StartAsync();
        api.AlignClock();
        var rounds = new List<(long SeatId, long BuyerId, string Buyer, long RivalId, string Rival, long ReservationId, DateTimeOffset HeldUntil)>();
        for (var r = 0; r < Rounds; r++)
        {
            // One hold a second, so that every round has a boundary of its own, all within the tokens' window.
            var seatId = 201 + r;
            var (buyerId, buyer) = await api.Client.BuyerAsync(BookingCalls.PriceOfSeat(seatId), $"Buyer {r}");
            var (rivalId, rival) = await api.Client.ActiveUserAsync($"Rival {r}");
            var heldUntil = api.Clock.GetUtcNow() + BookingCalls.HoldDuration;
            var hold = await api.Client.HoldOkAsync(buyer, seatId);
            BookingCalls.AssertSameInstant(heldUntil, hold.GetProperty("heldUntil"));
            rounds.Add((seatId, buyerId, buyer, rivalId, rival, hold.GetProperty("id").GetInt64(), heldUntil));
            api.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var clients = api.Clients(2);
        var tally = new Dictionary<string, int>();
        for (var r = 0; r < Rounds; r++)
        {
            var (seatId, buyerId, buyer, rivalId, rival, reservationId, heldUntil) = rounds[r];
            var mode = r % 3;
            if (mode == 2)
            {
                // The clock crosses the boundary while the two requests run: every reading of it moves it on by a
                // tick, and the boundary lies a few readings ahead, so which request sees which side of it
                // depends on how the two interleave.
                api.Clock.SetUtcNow(heldUntil.AddTicks(-(1 + (r / 3))));
                api.Clock.AutoAdvanceAmount = TimeSpan.FromTicks(1);
            }
            else
            {
                api.Clock.SetUtcNow(mode == 1 ? heldUntil : heldUntil.AddTicks(-1));
            }

            var responses = await BookingCalls.RaceAsync(2, i => i == 0
                ? clients[0].PayAsync(buyer, reservationId)
                : clients[1].HoldAsync(rival, seatId));
            api.Clock.AutoAdvanceAmount = TimeSpan.Zero;
            if (api.Clock.GetUtcNow() < heldUntil)
            {
                api.Clock.SetUtcNow(heldUntil);
            }

            var paid = await responses[0].OutcomeAsync();
            var held = await responses[1].OutcomeAsync();
            tally[$"{paid} / {held}"] = tally.GetValueOrDefault($"{paid} / {held}") + 1;
            Assert.Contains(paid, new[] { "201", "409 reservation_expired" });
            Assert.Contains(held, new[] { "201", "409 seat_unavailable" });
            Assert.False(paid == "201" && held == "201", $"Round {r}: the seat was both sold and held anew");
            if (mode == 0)
            {
                Assert.Equal(("201", "409 seat_unavailable"), (paid, held));
            }
            else if (mode == 1)
            {
                Assert.Equal(("409 reservation_expired", "201"), (paid, held));
            }

            var seat = await api.Client.SeatStatusAsync(seatId);
            var rivals = await api.Client.ReservationsAsync(rivalId);
            if (paid == "201")
            {
                Assert.Equal("sold", seat);
                Assert.Equal("confirmed", await api.Client.ReservationStatusAsync(buyerId, reservationId));
                Assert.Equal(0, await api.Client.BalanceAsync(buyerId));
                Assert.Empty(rivals);
            }
            else
            {
                Assert.Equal("expired", await api.Client.ReservationStatusAsync(buyerId, reservationId));
                Assert.Equal(BookingCalls.PriceOfSeat(seatId), await api.Client.BalanceAsync(buyerId));
                Assert.DoesNotContain(await api.Client.HistoryAsync(buyerId), e => e.GetProperty("kind").GetString() == "payment");
                if (held == "201")
                {
                    Assert.Equal("held", seat);
                    var taken = Assert.Single(rivals);
                    Assert.Equal(seatId, taken.GetProperty("seatId").GetInt64());
                    Assert.Equal("held", taken.GetProperty("status").GetString());
                }
                else
                {
                    Assert.Equal("available", seat);
                    Assert.Empty(rivals);
                }
            }
        }

        TestContext.Current.SendDiagnosticMessage("Outcomes (payment / new hold): {0}", string.Join(", ", tally.Select(t => $"{t.Key} ×{t.Value}")));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
