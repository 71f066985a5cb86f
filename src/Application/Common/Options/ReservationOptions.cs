namespace Concert.Application.Common.Options;

public sealed class ReservationOptions
{
    public const string Section = "Reservations";

    public TimeSpan HoldDuration { get; set; } = TimeSpan.FromMinutes(5);

    public int MaxHeldSeatsPerUser { get; set; } = 4;
}
