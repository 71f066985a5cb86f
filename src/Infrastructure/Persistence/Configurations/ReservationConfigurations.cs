using Concert.Domain.Concerts;
using Concert.Domain.Payments;
using Concert.Domain.Reservations;
using Concert.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Concert.Infrastructure.Persistence.Configurations;

internal sealed class ReservationConfiguration : IEntityTypeConfiguration<Reservation>
{
    public void Configure(EntityTypeBuilder<Reservation> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Version).IsConcurrencyToken();
        // A user's live holds (the limit) and their list, newest first; lapse sweeps.
        builder.HasIndex(r => new { r.UserId, r.Status, r.HeldUntil });
        builder.HasIndex(r => new { r.Status, r.HeldUntil });
        builder.HasIndex(r => r.SeatId);
        builder.HasOne<User>().WithMany().HasForeignKey(r => r.UserId);
        builder.HasOne<Seat>().WithMany().HasForeignKey(r => r.SeatId);
    }
}

internal sealed class PaymentConfiguration : IEntityTypeConfiguration<Payment>
{
    public void Configure(EntityTypeBuilder<Payment> builder)
    {
        builder.HasKey(p => p.Id);
        builder.HasIndex(p => p.UserId);
        builder.HasMany(p => p.Items).WithOne().HasForeignKey(i => i.PaymentId);
    }
}

internal sealed class PaymentItemConfiguration : IEntityTypeConfiguration<PaymentItem>
{
    public void Configure(EntityTypeBuilder<PaymentItem> builder)
    {
        builder.ToTable("PaymentItems");
        builder.HasKey(i => new { i.PaymentId, i.Line });
        // A reservation is paid at most once, whatever the application does.
        builder.HasIndex(i => i.ReservationId).IsUnique();
        builder.HasOne<Reservation>().WithMany().HasForeignKey(i => i.ReservationId);
    }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Key).HasMaxLength(IdempotencyRecord.MaxKeyLength).IsRequired();
        builder.Property(r => r.Fingerprint).HasMaxLength(64).IsRequired();
        builder.HasIndex(r => new { r.UserId, r.Key }).IsUnique();
        builder.HasIndex(r => r.CreatedAt);
    }
}
