namespace Concert.Domain.Accounts;

public enum BalanceEntryKind
{
    Charge = 1,
    Payment = 2,
}
