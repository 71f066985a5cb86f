namespace Concert.Application.Payments;

/// <summary>A completed payment and the payer's balance after it.</summary>
public sealed record PaymentDto(long Id, long ReservationId, long UserId, long Amount, DateTime PaidAt, long Balance);
