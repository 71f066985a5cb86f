namespace Concert.Domain.Accounts;

/// <summary>One change of a balance. <see cref="Amount"/> is signed: charges positive, payments negative.</summary>
public sealed class BalanceEntry
{
    private BalanceEntry() { }

    public long Id { get; private set; }

    public long UserId { get; private set; }

    public BalanceEntryKind Kind { get; private set; }

    public long Amount { get; private set; }

    public long BalanceAfter { get; private set; }

    public DateTime CreatedAt { get; private set; }

    public long? PaymentId { get; private set; }

    internal static BalanceEntry ForCharge(long userId, long amount, long balanceAfter, DateTime now) =>
        new() { UserId = userId, Kind = BalanceEntryKind.Charge, Amount = amount, BalanceAfter = balanceAfter, CreatedAt = now };

    internal static BalanceEntry ForPayment(long userId, long price, long balanceAfter, long paymentId, DateTime now) =>
        new()
        {
            UserId = userId,
            Kind = BalanceEntryKind.Payment,
            Amount = -price,
            BalanceAfter = balanceAfter,
            CreatedAt = now,
            PaymentId = paymentId,
        };
}
