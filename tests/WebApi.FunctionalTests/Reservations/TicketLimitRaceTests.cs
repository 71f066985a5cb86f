using Concert.Application.Common.Interfaces;
using Concert.Domain.Reservations;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>
/// One user's holds racing on the real database, released together behind one gate over many connections, with the
/// hold limit raised to 10 so that the ticket limit of 4 a schedule is what stops them: the count is decided after
/// the user's row lock, so no interleaving passes either limit. Each test has its own host.
/// </summary>
public sealed class TicketLimitRaceTests
{
    private const int MaxHeld = 10;
    private const int MaxTickets = 4;

    [Fact]
    public async Task Ten_holds_at_once_in_one_schedule_with_one_seat_paid_get_exactly_three()
    {
        await using var api = await StartAsync();
        var (userId, token) = await api.Client.BuyerAsync(1_000_000);
        await api.Client.PayOkAsync(token, await api.Client.HoldIdAsync(token, 1));
        token = await api.Client.RejoinAsync(userId);
        var seatIds = Enumerable.Range(2, 10).Select(n => (long)n).ToArray();
        var clients = api.Clients(seatIds.Length);

        var responses = await BookingCalls.RaceAsync(seatIds.Length, i => clients[i].HoldAsync(token, seatIds[i]));

        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));
        Assert.Equal(3, outcomes.Count(o => o == "201"));
        Assert.Equal(7, outcomes.Count(o => o == "409 ticket_limit_reached"));
        var wonSeats = seatIds.Where((_, i) => outcomes[i] == "201").ToHashSet();

        Assert.Equal(4, await CountingSeatsAsync(api, userId, scheduleId: 1));
        var reservations = await api.Client.ReservationsAsync(userId);
        Assert.Equal(["held", "held", "held", "confirmed"], reservations.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(wonSeats.Order(), reservations.Take(3).Select(r => r.GetProperty("seatId").GetInt64()).Order());
        var seats = await api.Client.SeatStatusesAsync(1);
        Assert.Equal("sold", seats[1]);
        Assert.All(seatIds, s => Assert.Equal(wonSeats.Contains(s) ? "held" : "available", seats[s]));
        DisposeAll(clients);
    }

    [Fact]
    public async Task Fifteen_holds_at_once_over_three_schedules_stop_at_both_limits()
    {
        // Five seats in each of schedules 4, 5 and 6: the ticket limit refuses at most one a schedule, so the hold
        // limit must stop the rest, and exactly ten holds succeed.
        await using var api = await StartAsync();
        var (userId, token) = await api.Client.ActiveUserAsync();
        long[] schedules = [4, 5, 6];
        var seatIds = schedules.SelectMany(s => Enumerable.Range(1, 5).Select(n => ((s - 1) * BookingCalls.SeatsPerSchedule) + n)).ToArray();
        var clients = api.Clients(seatIds.Length);

        var responses = await BookingCalls.RaceAsync(seatIds.Length, i => clients[i].HoldAsync(token, seatIds[i]));

        var outcomes = await Task.WhenAll(responses.Select(r => r.OutcomeAsync()));
        Assert.All(outcomes, o => Assert.Contains(o, new[] { "201", "409 ticket_limit_reached", "409 hold_limit_reached" }));
        Assert.Equal(MaxHeld, outcomes.Count(o => o == "201"));
        Assert.Contains("409 hold_limit_reached", outcomes);
        foreach (var schedule in schedules)
        {
            Assert.True(await CountingSeatsAsync(api, userId, schedule) <= MaxTickets, $"schedule {schedule} passed the ticket limit");
        }

        var reservations = await api.Client.ReservationsAsync(userId);
        Assert.Equal(MaxHeld, reservations.Count);
        Assert.All(reservations, r => Assert.Equal("held", r.GetProperty("status").GetString()));
        Assert.Equal(
            seatIds.Where((_, i) => outcomes[i] == "201").Order(),
            reservations.Select(r => r.GetProperty("seatId").GetInt64()).Order());
        DisposeAll(clients);
    }

    private static Task<TestApi> StartAsync() => TestApi.StartAsync(o =>
    {
        o.Settings["Reservations:MaxHeldSeatsPerUser"] = MaxHeld.ToString(System.Globalization.CultureInfo.InvariantCulture);
        o.Settings["Reservations:MaxTicketsPerUserPerSchedule"] = MaxTickets.ToString(System.Globalization.CultureInfo.InvariantCulture);
    });

    /// <summary>What the database holds against the limit: the user's live holds and paid seats in the schedule.</summary>
    private static Task<int> CountingSeatsAsync(TestApi api, long userId, long scheduleId)
    {
        var now = api.Clock.GetUtcNow().UtcDateTime;
        return api.InScopeAsync(sp => sp.GetRequiredService<IConcertDbContext>().Reservations.AsNoTracking()
            .CountAsync(r => r.UserId == userId && r.ScheduleId == scheduleId
                             && (r.Status == ReservationStatus.Confirmed
                                 || (r.Status == ReservationStatus.Held && r.HeldUntil > now))));
    }

    private static void DisposeAll(HttpClient[] clients)
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
