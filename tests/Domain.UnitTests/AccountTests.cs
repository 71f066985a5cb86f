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
    [Fact]
    public void Open_starts_at_zero_for_the_user()
    {
        var account = Account.Open(7, Now);

        Assert.Equal(7, account.UserId);
        Assert.Equal(0, account.Balance);
        Assert.Equal(Now, account.UpdatedAt);
        Assert.Equal(0, account.Version);
    }

    [Fact]
    public void Every_change_touches_the_account_and_its_entry_carries_the_time()
    {
        var account = Account.Open(7, Now);

        var charge = account.Charge(1_000, Now.AddMinutes(1));
        Assert.Equal(Now.AddMinutes(1), account.UpdatedAt);
        Assert.Equal(Now.AddMinutes(1), charge.CreatedAt);
        Assert.Equal(1, account.Version);

        var payment = account.Pay(1_000, 9, Now.AddMinutes(2));
        Assert.Equal(Now.AddMinutes(2), account.UpdatedAt);
        Assert.Equal(Now.AddMinutes(2), payment.CreatedAt);
        Assert.Equal(2, account.Version);
        Assert.Equal(0, account.Balance);
        Assert.Equal(0, payment.BalanceAfter);
    }

    [Fact]
    public void Pay_a_free_seat_records_a_zero_entry_but_a_negative_price_is_refused()
    {
        var account = Account.Open(7, Now);
        account.Charge(500, Now);

        var entry = account.Pay(0, 1, Now);
        var error = Assert.Throws<DomainException>(() => account.Pay(-1, 2, Now));

        Assert.Equal(0, entry.Amount);
        Assert.Equal(500, entry.BalanceAfter);
        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(500, account.Balance);
    }

    [Fact]
    public void Failed_changes_do_not_touch_the_account()
    {
        var account = Account.Open(7, Now);
        account.Charge(100, Now);

        Assert.Throws<DomainException>(() => account.Charge(0, Now.AddMinutes(1)));
        Assert.Throws<DomainException>(() => account.Pay(101, 1, Now.AddMinutes(1)));

        Assert.Equal(Now, account.UpdatedAt);
        Assert.Equal(1, account.Version);
        Assert.Equal(100, account.Balance);
    }

    [Fact]
    public void Pay_exactly_the_balance_leaves_zero()
    {
        var account = Account.Open(7, Now);
        account.Charge(165_000, Now);

        var entry = account.Pay(165_000, 4, Now);

        Assert.Equal(0, account.Balance);
        Assert.Equal(-165_000, entry.Amount);
        Assert.Equal(0, entry.BalanceAfter);
    }
}
