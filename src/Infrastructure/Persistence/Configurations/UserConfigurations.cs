using Concert.Domain.Accounts;
using Concert.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Concert.Infrastructure.Persistence.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Name).HasMaxLength(User.MaxNameUtf16Length).IsRequired();
        builder.Property(u => u.Version).IsConcurrencyToken();
    }
}

internal sealed class AccountConfiguration : IEntityTypeConfiguration<Account>
{
    public void Configure(EntityTypeBuilder<Account> builder)
    {
        builder.HasKey(a => a.UserId);
        builder.Property(a => a.UserId).ValueGeneratedNever();
        builder.Property(a => a.Version).IsConcurrencyToken();
        builder.ToTable(t => t.HasCheckConstraint("CK_Accounts_Balance", $"{Col("Balance")} >= 0 AND {Col("Balance")} <= {Account.MaxBalance}"));
        builder.HasOne<User>().WithOne().HasForeignKey<Account>(a => a.UserId);
    }

    internal static string Col(string name) => $"\"{name}\"";
}

internal sealed class BalanceEntryConfiguration : IEntityTypeConfiguration<BalanceEntry>
{
    public void Configure(EntityTypeBuilder<BalanceEntry> builder)
    {
        builder.HasKey(e => e.Id);
        builder.HasIndex(e => new { e.UserId, e.Id });
        builder.HasOne<Account>().WithMany().HasForeignKey(e => e.UserId);
        builder.HasOne<Domain.Payments.Payment>().WithMany().HasForeignKey(e => e.PaymentId);
    }
}
