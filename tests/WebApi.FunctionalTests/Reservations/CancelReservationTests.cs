using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Reservations;

/// <summary>DELETE /api/reservations/{id}: a live hold is cancelled and its seat freed; anything else changes nothing.</summary>
public sealed class CancelReservationTests(SharedBookingApi shared) : IClassFixture<SharedBookingApi>
{
    private readonly TestApi _api = shared.Api;

    [Fact]
    public async Task Cancel_answers_204_and_the_seat_is_available_again()
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();
        var available = await _api.Client.AvailableSeatsAsync(2);
        var held = await _api.Client.HoldIdAsync(token, 51);
        Assert.Equal(available - 1, await _api.Client.AvailableSeatsAsync(2));

        var response = await _api.Client.CancelAsync(token, held);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("cancelled", await _api.Client.ReservationStatusAsync(userId, held));
        Assert.Equal("available", await _api.Client.SeatStatusAsync(51));
        Assert.Equal(available, await _api.Client.AvailableSeatsAsync(2));
        var (_, other) = await _api.Client.ActiveUserAsync("Other");
        await _api.Client.HoldIdAsync(other, 51);
    }

    [Fact]
    public async Task Cancelling_again_answers_204_and_does_not_free_the_seat_from_its_new_holder()
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();
        var held = await _api.Client.HoldIdAsync(token, 52);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.Client.CancelAsync(token, held)).StatusCode);
        var (otherId, other) = await _api.Client.ActiveUserAsync("Other");
        var othersHold = await _api.Client.HoldIdAsync(other, 52);
        var before = await _api.Client.SnapshotAsync(userId, 52);

        var again = await _api.Client.CancelAsync(token, held);

        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(before, await _api.Client.SnapshotAsync(userId, 52));
        Assert.Equal("cancelled", await _api.Client.ReservationStatusAsync(userId, held));
        Assert.Equal("held", await _api.Client.ReservationStatusAsync(otherId, othersHold));
        Assert.Equal("held", await _api.Client.SeatStatusAsync(52));
    }

    [Fact]
    public async Task Someone_elses_reservation_is_not_found_for_cancelling_or_paying()
    {
        var (ownerId, owner) = await _api.Client.BuyerAsync(500_000, "Owner");
        var held = await _api.Client.HoldIdAsync(owner, 53);
        var (strangerId, stranger) = await _api.Client.BuyerAsync(500_000, "Stranger");
        var ownerBefore = await _api.Client.SnapshotAsync(ownerId, 53);
        var strangerBefore = await _api.Client.SnapshotAsync(strangerId, 53);

        await (await _api.Client.CancelAsync(stranger, held)).AssertProblemAsync(404, "reservation_not_found");
        await (await _api.Client.PayAsync(stranger, held)).AssertProblemAsync(404, "reservation_not_found");

        Assert.Equal(ownerBefore, await _api.Client.SnapshotAsync(ownerId, 53));
        Assert.Equal(strangerBefore, await _api.Client.SnapshotAsync(strangerId, 53));
        Assert.Equal("held", await _api.Client.ReservationStatusAsync(ownerId, held));
        Assert.Equal("active", await _api.Client.QueueStatusAsync(stranger));
    }

    [Theory]
    [InlineData("999999")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("9007199254740993")]
    public async Task Cancelling_an_unknown_reservation_is_not_found(string reservationId)
    {
        var (_, token) = await _api.Client.ActiveUserAsync();

        var response = await _api.Client.SendWithTokenAsync(HttpMethod.Delete, $"/api/reservations/{reservationId}", token);

        await response.AssertProblemAsync(404, "reservation_not_found");
    }

    [Fact]
    public async Task Cancelling_a_paid_reservation_is_refused_and_changes_nothing()
    {
        var (userId, token) = await _api.Client.BuyerAsync(200_000);
        var held = await _api.Client.HoldIdAsync(token, 54);
        await _api.Client.PayOkAsync(token, held);
        token = await _api.Client.RejoinAsync(userId);
        var before = await _api.Client.SnapshotAsync(userId, 54);

        await (await _api.Client.CancelAsync(token, held)).AssertProblemAsync(409, "reservation_already_paid");

        Assert.Equal(before, await _api.Client.SnapshotAsync(userId, 54));
        Assert.Equal("confirmed", await _api.Client.ReservationStatusAsync(userId, held));
        Assert.Equal("sold", await _api.Client.SeatStatusAsync(54));
    }

    [Fact]
    public async Task Cancel_refuses_a_missing_unknown_or_expired_token_and_keeps_the_hold()
    {
        var (userId, token) = await _api.Client.ActiveUserAsync();
        var held = await _api.Client.HoldIdAsync(token, 55);
        var (_, leaver) = await _api.Client.ActiveUserAsync("Leaver");
        Assert.Equal(HttpStatusCode.NoContent, (await _api.Client.LeaveQueueAsync(leaver)).StatusCode);

        await (await _api.Client.CancelAsync(null, held)).AssertProblemAsync(401, "queue_token_missing");
        await (await _api.Client.CancelAsync("no-such-token", held)).AssertProblemAsync(401, "queue_token_invalid");
        await (await _api.Client.CancelAsync(leaver, held)).AssertProblemAsync(403, "queue_token_expired");
        Assert.Equal(HttpStatusCode.NoContent, (await _api.Client.LeaveQueueAsync(token)).StatusCode);
        await (await _api.Client.CancelAsync(token, held)).AssertProblemAsync(403, "queue_token_expired");

        Assert.Equal("held", await _api.Client.ReservationStatusAsync(userId, held));
        Assert.Equal("held", await _api.Client.SeatStatusAsync(55));
    }
}
