namespace Concert.Application.Common.Options;

public sealed class ReservationOptions
{
    public const string Section = "Reservations";

    public TimeSpan HoldDuration { get; set; } = TimeSpan.FromMinutes(5);

    public int MaxHeldSeatsPerUser { get; set; } = 4;

    /// <summary>Seats of one schedule a user may have at once: live holds and paid seats together.</summary>
    public int MaxTicketsPerUserPerSchedule { get; set; } = 4;
}
