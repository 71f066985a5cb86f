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
        // The waiting line in join order (admission, positions); the active set (the cap); idle sweeps.
        builder.HasIndex(t => new { t.Status, t.Id });
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

internal sealed class QueueRankMarkConfiguration : IEntityTypeConfiguration<QueueRankMark>
{
    public void Configure(EntityTypeBuilder<QueueRankMark> builder)
    {
        builder.HasKey(m => m.TokenId);
        builder.Property(m => m.TokenId).ValueGeneratedNever();
    }
}
