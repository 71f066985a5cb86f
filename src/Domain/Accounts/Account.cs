using Concert.Domain.Common;

namespace Concert.Domain.Accounts;

/// <summary>A user's prepaid balance in whole won. Every change returns the history entry that records it.</summary>
public sealed class Account
{
    public const long MaxBalance = 100_000_000;
    public const long MinCharge = 1;
    public const long MaxCharge = 1_000_000;

    private Account() { }

    public long UserId { get; private set; }

    public long Balance { get; private set; }

    public DateTime UpdatedAt { get; private set; }

    /// <summary>Concurrency token: a write based on a stale read is refused by the database.</summary>
    public long Version { get; private set; }

    public static Account Open(long userId, DateTime now) => new() { UserId = userId, UpdatedAt = now };

    public BalanceEntry Charge(long amount, DateTime now)
    {
        if (amount is < MinCharge or > MaxCharge)
        {
            throw Errors.Invalid($"A charge is {MinCharge}–{MaxCharge:N0} won.");
        }

        if (Balance > MaxBalance - amount)
        {
            throw Errors.BalanceLimitExceeded(MaxBalance);
        }

        Balance += amount;
        return Touch(BalanceEntry.ForCharge(UserId, amount, Balance, now), now);
    }

    public BalanceEntry Pay(long price, long paymentId, DateTime now)
    {
        if (price < 0)
        {
            throw Errors.Invalid("A price is never negative.");
        }

        if (Balance < price)
        {
            throw Errors.InsufficientBalance();
        }

        Balance -= price;
        return Touch(BalanceEntry.ForPayment(UserId, price, Balance, paymentId, now), now);
    }

    private BalanceEntry Touch(BalanceEntry entry, DateTime now)
    {
        UpdatedAt = now;
        Version++;
        return entry;
    }
}
