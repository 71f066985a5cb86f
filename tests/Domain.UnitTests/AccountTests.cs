using Concert.Domain.Accounts;
using Concert.Domain.Common;

namespace Concert.Domain.UnitTests;

public sealed class AccountTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Charge_adds_to_the_balance_and_returns_one_entry()
    {
        var account = Account.Open(7, Now);

        var entry = account.Charge(50_000, Now);

        Assert.Equal(50_000, account.Balance);
        Assert.Equal(BalanceEntryKind.Charge, entry.Kind);
        Assert.Equal(50_000, entry.Amount);
        Assert.Equal(50_000, entry.BalanceAfter);
        Assert.Equal(7, entry.UserId);
        Assert.Null(entry.PaymentId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    public void Charge_outside_bounds_is_refused_and_changes_nothing(long amount)
    {
        var account = Account.Open(7, Now);

        var error = Assert.Throws<DomainException>(() => account.Charge(amount, Now));

        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(0, account.Balance);
    }

    [Fact]
    public void Charge_may_reach_the_cap_but_not_pass_it()
    {
        var account = Account.Open(7, Now);
        for (var i = 0; i < 100; i++)
        {
            account.Charge(1_000_000, Now);
        }

        Assert.Equal(Account.MaxBalance, account.Balance);
        var error = Assert.Throws<DomainException>(() => account.Charge(1, Now));
        Assert.Equal("balance_limit_exceeded", error.Code);
        Assert.Equal(ErrorKind.Conflict, error.Kind);
        Assert.Equal(Account.MaxBalance, account.Balance);
    }

    [Fact]
    public void Pay_debits_and_records_a_negative_entry_with_the_payment()
    {
        var account = Account.Open(7, Now);
        account.Charge(100_000, Now);

        var entry = account.Pay(77_000, paymentId: 3, Now);

        Assert.Equal(23_000, account.Balance);
        Assert.Equal(BalanceEntryKind.Payment, entry.Kind);
        Assert.Equal(-77_000, entry.Amount);
        Assert.Equal(23_000, entry.BalanceAfter);
        Assert.Equal(3, entry.PaymentId);
    }

    [Fact]
    public void Pay_more_than_the_balance_is_refused_and_changes_nothing()
    {
        var account = Account.Open(7, Now);
        account.Charge(10_000, Now);

        var error = Assert.Throws<DomainException>(() => account.Pay(10_001, 1, Now));

        Assert.Equal("insufficient_balance", error.Code);
        Assert.Equal(10_000, account.Balance);
    }
}
