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
        builder.Property(u => u.Email).HasMaxLength(User.MaxEmailLength);
        builder.Property(u => u.NormalizedEmail).HasMaxLength(User.MaxEmailLength);
        builder.Property(u => u.PasswordHash).HasMaxLength(256);
        // Null for users from before sign-in; SQL Server's filtered index lets many of them be null (EF adds the filter).
        builder.HasIndex(u => u.NormalizedEmail).IsUnique();
    }
}

internal sealed class ServiceSecretConfiguration : IEntityTypeConfiguration<Persistence.ServiceSecret>
{
    public void Configure(EntityTypeBuilder<Persistence.ServiceSecret> builder)
    {
        builder.HasKey(s => s.Name);
        builder.Property(s => s.Name).HasMaxLength(64);
        builder.Property(s => s.Value).HasMaxLength(512).IsRequired();
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
