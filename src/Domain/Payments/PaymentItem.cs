namespace Concert.Domain.Payments;

/// <summary>One reservation paid by a <see cref="Payment"/>; a reservation has at most one (a unique index).</summary>
public sealed class PaymentItem
{
    private PaymentItem() { }

    internal PaymentItem(int line, long reservationId)
    {
        Line = line;
        ReservationId = reservationId;
    }

    public long PaymentId { get; private set; }

    /// <summary>1-based place in the payer's list.</summary>
    public int Line { get; private set; }

    public long ReservationId { get; private set; }
}
