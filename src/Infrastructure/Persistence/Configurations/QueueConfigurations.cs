using Concert.Domain.Queue;
using Concert.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Concert.Infrastructure.Persistence.Configurations;

internal sealed class QueueTokenConfiguration : IEntityTypeConfiguration<QueueToken>
{
    public void Configure(EntityTypeBuilder<QueueToken> builder)
    {
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Token).HasMaxLength(64).IsRequired();
        builder.HasIndex(t => t.Token).IsUnique();
        // One live token per user: LiveUserId is cleared on expiry; NULLs never collide.
        builder.HasIndex(t => t.LiveUserId).IsUnique();
        // The line in admission order (admission, each instance's copy of the line); the active set (the cap);
        // idle sweeps; purges.
        builder.HasIndex(t => new { t.Status, t.Round, t.DrawKey, t.Id });
        builder.HasIndex(t => new { t.Status, t.ExpiresAt });
        builder.HasIndex(t => new { t.Status, t.LastSeenAt });
        builder.HasIndex(t => new { t.Status, t.ExpiredAt });
        builder.HasOne<User>().WithMany().HasForeignKey(t => t.UserId);
    }
}

internal sealed class QueueGateConfiguration : IEntityTypeConfiguration<QueueGate>
{
    public void Configure(EntityTypeBuilder<QueueGate> builder)
    {
        builder.HasKey(g => g.Id);
        builder.Property(g => g.Id).ValueGeneratedNever();
        builder.Property(g => g.Version).IsConcurrencyToken();
        builder.HasData(QueueGate.Create());
    }
}

internal sealed class QueueDrawConfiguration : IEntityTypeConfiguration<QueueDraw>
{
    public void Configure(EntityTypeBuilder<QueueDraw> builder)
    {
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Commitment).HasMaxLength(64).IsRequired();
        builder.Property(d => d.Seed).HasMaxLength(QueueDraw.SeedBytes).IsRequired();
        builder.Property(d => d.Scores).IsRequired();
        builder.Ignore(d => d.IsDrawn);
        builder.Ignore(d => d.RevealedSeed);
    }
}
