using Concert.Domain.Concerts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Concert.Infrastructure.Persistence.Configurations;

internal sealed class ConcertConfiguration : IEntityTypeConfiguration<Domain.Concerts.Concert>
{
    public void Configure(EntityTypeBuilder<Domain.Concerts.Concert> builder)
    {
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Title).HasMaxLength(200).IsRequired();
        builder.Property(c => c.Artist).HasMaxLength(200).IsRequired();
        builder.Property(c => c.Venue).HasMaxLength(200).IsRequired();
        builder.HasMany(c => c.Schedules).WithOne().HasForeignKey(s => s.ConcertId);
    }
}

internal sealed class ConcertScheduleConfiguration : IEntityTypeConfiguration<ConcertSchedule>
{
    public void Configure(EntityTypeBuilder<ConcertSchedule> builder)
    {
        builder.ToTable("Schedules");
        builder.HasKey(s => s.Id);
        builder.HasIndex(s => new { s.ConcertId, s.StartsAt });
        builder.HasMany(s => s.Seats).WithOne().HasForeignKey(s => s.ScheduleId);
    }
}

internal sealed class SeatConfiguration : IEntityTypeConfiguration<Seat>
{
    public void Configure(EntityTypeBuilder<Seat> builder)
    {
        builder.HasKey(s => s.Id);
        builder.HasIndex(s => new { s.ScheduleId, s.Number }).IsUnique();
        builder.HasIndex(s => new { s.Status, s.HeldUntil });
        builder.Property(s => s.Version).IsConcurrencyToken();
    }
}
