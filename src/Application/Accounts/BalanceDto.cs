namespace Concert.Application.Accounts;

public sealed record BalanceDto(long UserId, long Balance);
