using Npgsql;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>
/// What the clients were told against what the database holds: an acknowledged write is never lost, a refused
/// one left nothing behind, and a write that got no answer (the kill) is either wholly there or wholly absent.
/// </summary>
public static class LedgerChecks
{
    public sealed record Findings(List<string> Violations, int LostCharges, int LostChargesCommitted, int LostPayments, int LostPaymentsCommitted);

    /// <param name="exact">No request went unanswered: the database must hold exactly the acknowledged writes.</param>
    public static async Task<Findings> CheckAsync(NpgsqlConnection connection, NpgsqlTransaction snapshot, Ledger ledger, bool exact)
    {
        var violations = new List<string>();
        var charges = new List<(long UserId, long Amount, long BalanceAfter)>();
        await using (var command = new NpgsqlCommand(
                         """SELECT "UserId", "Amount", "BalanceAfter" FROM "BalanceEntries" WHERE "Kind" = 1""", connection, snapshot))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                charges.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        var payments = new Dictionary<long, (long[] ReservationIds, long UserId, long Amount, long BalanceAfter)>();
        await using (var command = new NpgsqlCommand(
                         """
                         SELECT p."Id",
                                coalesce((SELECT array_agg(i."ReservationId" ORDER BY i."Line") FROM "PaymentItems" i
                                          WHERE i."PaymentId" = p."Id"), '{}'),
                                p."UserId", p."Amount", e."BalanceAfter"
                         FROM "Payments" p LEFT JOIN "BalanceEntries" e ON e."PaymentId" = p."Id"
                         """, connection, snapshot))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                payments[reader.GetInt64(0)] = (reader.GetFieldValue<long[]>(1), reader.GetInt64(2), reader.GetInt64(3), reader.IsDBNull(4) ? -1 : reader.GetInt64(4));
            }
        }

        // Charges, user by user, as multisets: acknowledged ⊆ stored ⊆ acknowledged ∪ unanswered.
        var lostCharges = 0;
        var lostCommitted = 0;
        var attemptsByUser = ledger.Charges.GroupBy(c => c.UserId).ToDictionary(g => g.Key, g => g.ToList());
        var storedByUser = charges.GroupBy(c => c.UserId).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var userId in attemptsByUser.Keys.Union(storedByUser.Keys))
        {
            var attempts = attemptsByUser.GetValueOrDefault(userId) ?? [];
            var stored = storedByUser.GetValueOrDefault(userId) ?? [];
            var acknowledged = attempts.Where(a => a.Call.Acknowledged).Select(a => (a.Amount, a.BalanceAfter!.Value)).ToList();
            var missing = Minus(acknowledged, stored.Select(s => (s.Amount, s.BalanceAfter)));
            if (missing.Count > 0)
            {
                violations.Add($"user {userId}: acknowledged charges missing from the history (amount, balanceAfter): {string.Join(", ", missing)}");
            }

            var lost = attempts.Where(a => a.Call.Lost).Select(a => a.Amount).ToList();
            var unexplained = Minus(stored.Select(s => s.Amount), acknowledged.Select(a => a.Amount).Concat(lost));
            if (unexplained.Count > 0)
            {
                violations.Add($"user {userId}: charges in the history that no client was told of nor lost (refused ones left a trace?): {string.Join(", ", unexplained)}");
            }

            var committedLost = Minus(stored.Select(s => s.Amount), acknowledged.Select(a => a.Amount));
            lostCharges += lost.Count;
            lostCommitted += committedLost.Count;
            if (exact && (lost.Count > 0 || committedLost.Count > 0))
            {
                violations.Add($"user {userId}: with no instance killed every charge is answered, and only acknowledged ones are stored");
            }
        }

        // Payments: every acknowledged one is stored as told; every stored one was asked for and not refused.
        var acknowledgedPayments = ledger.Payments.Where(p => p.PaymentId is not null).ToList();
        foreach (var ack in acknowledgedPayments)
        {
            var body = ack.Call.Body!.Value;
            if (!payments.TryGetValue(ack.PaymentId!.Value, out var stored))
            {
                violations.Add($"acknowledged payment {ack.PaymentId} is not in the database: {ack.Call}");
                continue;
            }

            if (!stored.ReservationIds.SequenceEqual(ack.ReservationIds) || stored.UserId != ack.UserId
                || stored.Amount != body.GetProperty("amount").GetInt64() || stored.BalanceAfter != body.GetProperty("balance").GetInt64())
            {
                violations.Add($"acknowledged payment {ack.PaymentId} differs from what is stored {stored}: {ack.Call}");
            }
        }

        foreach (var group in acknowledgedPayments.SelectMany(p => p.ReservationIds, (p, r) => (Reservation: r, p.PaymentId))
                     .GroupBy(x => x.Reservation, x => x.PaymentId).Where(g => g.Distinct().Count() > 1))
        {
            violations.Add($"reservation {group.Key} acknowledged as paid by different payments: {string.Join(", ", group.Distinct())}");
        }

        var attemptsByReservation = ledger.Payments.SelectMany(p => p.ReservationIds, (p, r) => (Reservation: r, Attempt: p))
            .GroupBy(x => x.Reservation, x => x.Attempt).ToDictionary(g => g.Key, g => g.ToList());
        var lostPayments = 0;
        var lostPaymentsCommitted = 0;
        foreach (var (reservationId, attempts) in attemptsByReservation)
        {
            var storedPayment = payments.Values.Any(p => p.ReservationIds.Contains(reservationId));
            var acknowledged = attempts.Any(a => a.PaymentId is not null);
            var lost = attempts.Any(a => a.Call.Lost);
            lostPayments += attempts.Count(a => a.Call.Lost);
            lostPaymentsCommitted += storedPayment && !acknowledged && lost ? 1 : 0;
            if (storedPayment && !acknowledged && !lost)
            {
                violations.Add($"reservation {reservationId} is paid although every payment request for it was refused: {string.Join(", ", attempts.Select(a => a.Call))}");
            }
        }

        // A stored payment is exactly some request's list, in its order: never a mix of two checkouts.
        foreach (var (id, stored) in payments.Where(p => !ledger.Payments.Any(
                     a => a.UserId == p.Value.UserId && a.ReservationIds.SequenceEqual(p.Value.ReservationIds))))
        {
            violations.Add($"payment {id} of [{string.Join(", ", stored.ReservationIds)}] {stored} was never asked for");
        }

        if (exact)
        {
            var told = acknowledgedPayments.Select(p => p.PaymentId!.Value).ToHashSet();
            if (!told.SetEquals(payments.Keys))
            {
                violations.Add($"with no instance killed the stored payments ({string.Join(", ", payments.Keys.Order())}) must be exactly the acknowledged ones ({string.Join(", ", told.Order())})");
            }
        }

        return new Findings(violations, lostCharges, lostCommitted, lostPayments, lostPaymentsCommitted);
    }

    public static async Task<long> BalanceAsync(NpgsqlConnection connection, NpgsqlTransaction snapshot, long userId)
    {
        await using var command = new NpgsqlCommand("""SELECT "Balance" FROM "Accounts" WHERE "UserId" = @id""", connection, snapshot);
        command.Parameters.AddWithValue("id", userId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Multiset difference: what is in <paramref name="left"/> more often than in <paramref name="right"/>.</summary>
    private static List<T> Minus<T>(IEnumerable<T> left, IEnumerable<T> right)
        where T : notnull
    {
        var counts = right.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var rest = new List<T>();
        foreach (var item in left)
        {
            if (counts.TryGetValue(item, out var n) && n > 0)
            {
                counts[item] = n - 1;
            }
            else
            {
                rest.Add(item);
            }
        }

        return rest;
    }
}
