using Concert.Domain.Common;
using Concert.Domain.Reservations;

namespace Concert.Domain.Payments;

/// <summary>One checkout: a single debit of the balance that pays one or several of a user's holds together.</summary>
public sealed class Payment
{
    private readonly List<PaymentItem> _items = [];

    private Payment() { }

    public long Id { get; private set; }

    public long UserId { get; private set; }

    /// <summary>The total debited: the sum of the reservations' prices.</summary>
    public long Amount { get; private set; }

    public DateTime PaidAt { get; private set; }

    /// <summary>What was paid, in the order the payer listed it.</summary>
    public IReadOnlyList<PaymentItem> Items => _items;

    /// <summary>
    /// Confirms every reservation in <paramref name="reservations"/> for <paramref name="userId"/>, or none: each
    /// must be the payer's own live hold. The seats and the balance are the caller's to settle.
    /// </summary>
    public static Payment Checkout(long userId, IReadOnlyList<Reservation> reservations, DateTime now)
    {
        if (reservations.Count == 0)
        {
            throw Errors.Invalid("A payment covers at least one reservation.");
        }

        if (reservations.DistinctBy(r => r.Id).Count() != reservations.Count)
        {
            throw Errors.Invalid("A reservation appears once in a payment.");
        }

        if (reservations.Any(r => r.UserId != userId))
        {
            throw Errors.ReservationNotFound();
        }

        // Every check before any change, so a refusal leaves every reservation as it was.
        foreach (var reservation in reservations)
        {
            reservation.EnsurePayableAt(now);
        }

        var payment = new Payment { UserId = userId, Amount = reservations.Sum(r => r.Price), PaidAt = now };
        for (var i = 0; i < reservations.Count; i++)
        {
            reservations[i].Confirm(now);
            payment._items.Add(new PaymentItem(i + 1, reservations[i].Id));
        }

        return payment;
    }
}
