using Concert.Domain.Concerts;

namespace Concert.Application.Concerts;

public sealed record ConcertDto(long Id, string Title, string Artist, string Venue);

public sealed record ScheduleDto(long Id, long ConcertId, DateTime StartsAt, int TotalSeats, int AvailableSeats);

public sealed record SeatDto(long Id, int Number, long Price, SeatStatus Status);
