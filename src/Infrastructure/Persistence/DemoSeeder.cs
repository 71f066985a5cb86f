using Concert.Application.Common.Interfaces;
using Microsoft.EntityFrameworkCore;

namespace Concert.Infrastructure.Persistence;

/// <summary>
/// A demo catalogue, so a frontend team sees real data the moment the service starts: three concerts, each with
/// three schedules of 50 seats. Idempotent, and safe when several instances start at once (the gate lock).
/// </summary>
public static class DemoSeeder
{
    private static readonly (string Title, string Artist, string Venue)[] Concerts =
    [
        ("Spring Lights", "IU", "Olympic Park KSPO Dome, Seoul"),
        ("Beyond the Scene", "BTS", "Busan Asiad Main Stadium"),
        ("Born Pink Encore", "BLACKPINK", "Gocheok Sky Dome, Seoul"),
    ];

    public static async Task SeedAsync(IConcertDbContext db, DateTime now, CancellationToken cancellationToken)
    {
        await db.InTransactionAsync(async ct =>
        {
            await db.LockQueueGateAsync(ct);
            if (await db.Concerts.AnyAsync(ct))
            {
                return false;
            }

            var firstDay = now.Date.AddDays(30).AddHours(10); // 19:00 KST
            for (var c = 0; c < Concerts.Length; c++)
            {
                var (title, artist, venue) = Concerts[c];
                var concert = Domain.Concerts.Concert.Create(title, artist, venue);
                for (var s = 0; s < 3; s++)
                {
                    concert.AddSchedule(firstDay.AddDays((c * 7) + s), Prices());
                }

                db.Concerts.Add(concert);
            }

            await db.SaveChangesAsync(ct);
            return true;
        }, cancellationToken);
    }

    /// <summary>Seats 1–10 VIP, 11–30 R, 31–50 S.</summary>
    private static long[] Prices() =>
        Enumerable.Range(1, 50).Select(n => n switch { <= 10 => 165_000L, <= 30 => 121_000L, _ => 77_000L }).ToArray();
}
