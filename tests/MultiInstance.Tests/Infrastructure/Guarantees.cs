using Npgsql;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>
/// The contract's "Guarantees" as queries on the database itself: each returns the rows that break one. They
/// hold at every committed state, so the sampler runs them during the load and the test once more at the end,
/// each time inside one REPEATABLE READ snapshot. Enum columns are stored as integers: QueueTokenStatus
/// Waiting=1 Active=2 Expired=3 Prequeue=4 (live: prequeue, waiting or active); SeatStatus Available=1 Held=2
/// Sold=3; ReservationStatus Held=1 Confirmed=2 Expired=3 Cancelled=4; BalanceEntryKind Charge=1 Payment=2.
/// </summary>
public static class Guarantees
{
    public const long MaxBalance = 100_000_000;
    public const int MaxHeldSeatsPerUser = 4;
    public const int MaxTicketsPerUserPerSchedule = 4;

    /// <summary>A hold is live while its status is Held and its end has not passed.</summary>
    private const string LiveHold = """r."Status" = 1 AND r."HeldUntil" > now()""";

    public static IReadOnlyList<(string Guarantee, string Sql)> Checks(int maxActiveTokens) =>
    [
        ("active tokens never exceed MaxActiveTokens",
            $"""SELECT count(*) FROM "QueueTokens" WHERE "Status" = 2 HAVING count(*) > {maxActiveTokens}"""),
        ("one live (prequeue, waiting or active) token per user",
            """SELECT "UserId", count(*) FROM "QueueTokens" WHERE "Status" IN (1, 2, 4) GROUP BY "UserId" HAVING count(*) > 1"""),
        ("a token is live exactly when it carries its user in LiveUserId",
            """
            SELECT "Id", "UserId", "Status", "LiveUserId" FROM "QueueTokens"
            WHERE ("Status" IN (1, 2, 4)) <> ("LiveUserId" IS NOT DISTINCT FROM "UserId")
               OR ("Status" = 2 AND ("ActivatedAt" IS NULL OR "ExpiresAt" IS NULL))
            """),
        ("a seat has at most one live hold and is sold at most once (held/confirmed reservations per seat)",
            $"""
             SELECT r."SeatId", count(*) FROM "Reservations" r
             WHERE r."Status" = 2 OR ({LiveHold}) GROUP BY r."SeatId" HAVING count(*) > 1
             """),
        ("a sold seat belongs to exactly its confirmed reservation",
            """
            SELECT s."Id", s."ReservationId", r."Status" FROM "Seats" s
            LEFT JOIN "Reservations" r ON r."Id" = s."ReservationId"
            WHERE s."Status" = 3 AND (r."Id" IS NULL OR r."Status" <> 2 OR r."SeatId" <> s."Id")
            """),
        ("a confirmed reservation's seat is sold to it",
            """
            SELECT r."Id", r."SeatId", s."Status", s."ReservationId" FROM "Reservations" r
            JOIN "Seats" s ON s."Id" = r."SeatId"
            WHERE r."Status" = 2 AND (s."Status" <> 3 OR s."ReservationId" IS DISTINCT FROM r."Id")
            """),
        ("a held seat belongs to exactly its live held reservation",
            """
            SELECT s."Id", s."ReservationId", r."Status" FROM "Seats" s
            LEFT JOIN "Reservations" r ON r."Id" = s."ReservationId"
            WHERE s."Status" = 2 AND s."HeldUntil" > now()
              AND (r."Id" IS NULL OR r."Status" <> 1 OR r."SeatId" <> s."Id"
                   OR r."UserId" IS DISTINCT FROM s."HeldByUserId" OR r."HeldUntil" <> s."HeldUntil")
            """),
        ("a live held reservation's seat is held by it",
            $"""
             SELECT r."Id", r."SeatId", s."Status", s."ReservationId" FROM "Reservations" r
             JOIN "Seats" s ON s."Id" = r."SeatId"
             WHERE {LiveHold} AND (s."Status" <> 2 OR s."ReservationId" IS DISTINCT FROM r."Id")
             """),
        ("a user never has more than MaxHeldSeatsPerUser live holds",
            $"""
             SELECT r."UserId", count(*) FROM "Reservations" r WHERE {LiveHold}
             GROUP BY r."UserId" HAVING count(*) > {MaxHeldSeatsPerUser}
             """),
        ("a user never has more than MaxTicketsPerUserPerSchedule held and paid seats in one schedule",
            $"""
             SELECT r."UserId", r."ScheduleId", count(*) FROM "Reservations" r WHERE r."Status" = 2 OR ({LiveHold})
             GROUP BY r."UserId", r."ScheduleId" HAVING count(*) > {MaxTicketsPerUserPerSchedule}
             """),
        ("a balance never goes negative and never passes 100,000,000",
            $"""SELECT "UserId", "Balance" FROM "Accounts" WHERE "Balance" < 0 OR "Balance" > {MaxBalance}"""),
        ("a balance always equals the sum of its history",
            """
            SELECT a."UserId", a."Balance", coalesce(e.total, 0) FROM "Accounts" a
            LEFT JOIN (SELECT "UserId", sum("Amount") AS total FROM "BalanceEntries" GROUP BY "UserId") e
                   ON e."UserId" = a."UserId"
            WHERE a."Balance" <> coalesce(e.total, 0)
            """),
        ("each history entry's balanceAfter is the running sum of the user's entries (changes are serial)",
            """
            SELECT "Id", "UserId", "BalanceAfter", running FROM (
                SELECT "Id", "UserId", "BalanceAfter",
                       sum("Amount") OVER (PARTITION BY "UserId" ORDER BY "Id") AS running
                FROM "BalanceEntries") x
            WHERE "BalanceAfter" <> running
            """),
        ("a charge entry is positive without a payment; a payment entry is negative with its payment",
            """
            SELECT "Id", "Kind", "Amount", "PaymentId" FROM "BalanceEntries"
            WHERE NOT (("Kind" = 1 AND "Amount" > 0 AND "PaymentId" IS NULL)
                    OR ("Kind" = 2 AND "Amount" < 0 AND "PaymentId" IS NOT NULL))
            """),
        ("money is conserved: Σ balances = Σ charges − Σ payments",
            """
            SELECT b.total, c.total, p.total
            FROM (SELECT coalesce(sum("Balance"), 0) AS total FROM "Accounts") b,
                 (SELECT coalesce(sum("Amount"), 0) AS total FROM "BalanceEntries" WHERE "Kind" = 1) c,
                 (SELECT coalesce(sum("Amount"), 0) AS total FROM "Payments") p
            WHERE b.total <> c.total - p.total
            """),
        ("a payment is all or nothing: every reservation confirmed, every seat sold, one debit of their total",
            """
            SELECT p."Id", i."ReservationId", r."Status", s."Status",
                   (SELECT count(*) FROM "BalanceEntries" e WHERE e."PaymentId" = p."Id") AS entries
            FROM "Payments" p
            LEFT JOIN "PaymentItems" i ON i."PaymentId" = p."Id"
            LEFT JOIN "Reservations" r ON r."Id" = i."ReservationId"
            LEFT JOIN "Seats" s ON s."Id" = r."SeatId"
            WHERE r."Id" IS NULL OR r."Status" <> 2 OR r."UserId" <> p."UserId" OR r."PaidAt" IS DISTINCT FROM p."PaidAt"
               OR s."Status" <> 3 OR s."ReservationId" IS DISTINCT FROM r."Id"
               OR p."Amount" <> (SELECT sum(r2."Price") FROM "PaymentItems" i2
                                 JOIN "Reservations" r2 ON r2."Id" = i2."ReservationId" WHERE i2."PaymentId" = p."Id")
               OR (SELECT count(*) FROM "BalanceEntries" e WHERE e."PaymentId" = p."Id") <> 1
               OR NOT EXISTS (SELECT 1 FROM "BalanceEntries" e WHERE e."PaymentId" = p."Id" AND e."Kind" = 2
                              AND e."Amount" = -p."Amount" AND e."UserId" = p."UserId")
            """),
        ("a reservation is paid at most once",
            """SELECT "ReservationId", count(*) FROM "PaymentItems" GROUP BY "ReservationId" HAVING count(*) > 1"""),
        ("a confirmed reservation has its payment",
            """
            SELECT r."Id" FROM "Reservations" r
            WHERE r."Status" = 2 AND NOT EXISTS (SELECT 1 FROM "PaymentItems" i WHERE i."ReservationId" = r."Id")
            """),
        ("an idempotency key exists exactly with the payment it made (one key, at most one payment)",
            """
            SELECT k."Id", k."UserId", k."Key", k."ResponseStatus" FROM "IdempotencyRecords" k
            WHERE k."ResponseStatus" <> 201 OR NOT EXISTS (
                SELECT 1 FROM "Payments" p
                WHERE p."Id" = (k."ResponseBody"::jsonb ->> 'id')::bigint AND p."UserId" = k."UserId"
                  AND (SELECT jsonb_agg(i."ReservationId" ORDER BY i."Line") FROM "PaymentItems" i WHERE i."PaymentId" = p."Id")
                      = k."ResponseBody"::jsonb -> 'reservationIds')
            """),
        ("a draw publishes exactly its total: one 32-byte score per drawn token, none before it is drawn",
            """
            SELECT "Id", "Total", length("Scores"), "DrawnAt" FROM "QueueDraws"
            WHERE length("Scores") <> 32 * "Total" OR ("DrawnAt" IS NULL AND "Total" <> 0)
            """),
        ("a draw is made once: the room's pending draw is never one already drawn",
            """
            SELECT g."PendingDrawId", d."DrawnAt" FROM "QueueGates" g
            JOIN "QueueDraws" d ON d."Id" = g."PendingDrawId"
            WHERE d."DrawnAt" IS NOT NULL
            """),
    ];

    /// <summary>Runs every check inside <paramref name="transaction"/>; returns "guarantee: offending rows".</summary>
    public static async Task<List<string>> ViolationsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int maxActiveTokens)
    {
        var violations = new List<string>();
        foreach (var (guarantee, sql) in Checks(maxActiveTokens))
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                rows.Add("(" + string.Join(", ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i).ToString())) + ")");
            }

            if (rows.Count > 0)
            {
                violations.Add($"{guarantee}: {string.Join(' ', rows.Take(5))}{(rows.Count > 5 ? $" … ({rows.Count} rows)" : "")}");
            }
        }

        return violations;
    }

    /// <summary>Opens one read-only snapshot: every query in it sees the same committed state.</summary>
    public static Task<NpgsqlTransaction> SnapshotAsync(NpgsqlConnection connection) =>
        connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead).AsTask();
}
