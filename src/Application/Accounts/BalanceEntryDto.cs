using Concert.Domain.Accounts;

namespace Concert.Application.Accounts;

public sealed record BalanceEntryDto(
    long Id, BalanceEntryKind Kind, long Amount, long BalanceAfter, DateTime CreatedAt, long? PaymentId);
