namespace Concert.Application.Payments;

/// <summary>A completed payment (its reservations in the order they were sent) and the payer's balance after it.</summary>
public sealed record PaymentDto(
    long Id, IReadOnlyList<long> ReservationIds, long UserId, long Amount, DateTime PaidAt, long Balance);
