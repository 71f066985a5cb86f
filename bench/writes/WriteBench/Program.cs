// The raw baseline of bench/writes: the statements the service sends for each write, sent straight through the same
// ADO.NET provider (Microsoft.Data.Sqlite or Npgsql) — no HTTP, no mediator, no EF — over as many connections as the
// HTTP client uses, so that the service can be held against what the database itself does on this machine in the
// same run. Also seeds the rows the bench needs (users, accounts, active tokens, seats, holds) on either provider.
//
//   WriteBench PROVIDER CONNECTION seed-active FIRST N BALANCE     users FIRST.. with BALANCE won (one charge entry)
//                                                                  and an active token; prints the tokens in user order
//   WriteBench PROVIDER CONNECTION seed-users FIRST N              users with an empty account and no token
//   WriteBench PROVIDER CONNECTION seed-seats N PRICE              a new concert with one schedule of N seats; prints
//                                                                  "firstSeatId lastSeatId"
//   WriteBench PROVIDER CONNECTION seed-holds FIRSTUSER FIRSTSEAT N   user FIRSTUSER+i holds seat FIRSTSEAT+i (30 min)
//   WriteBench PROVIDER CONNECTION raw WORKLOAD CONNECTIONS SECONDS FIRSTUSER N [FIRSTSEAT SEATS]
//       insert  one autocommit INSERT of a queue token row (what a join adds), users round-robin, for SECONDS
//       charge  a balance charge's transaction (lock + read the account, update it, insert the entry), for SECONDS
//       pay     a one-hold payment's transaction for each of N prepared users (spend the token, lock and read the
//               reservation, seat and account, insert payment + item, confirm, sell, debit, insert the entry); once
//               each, the first SECONDS of them unmeasured (a warm-up)
//       hold    a hold attempt in a rush on SEATS seats (read the seat; if free: lock the user, take the seat
//               conditionally, insert the reservation), users round-robin, for SECONDS
//     prints "RAW workload ops/s p50_ms p99_ms ops"
// PROVIDER is sqlite or postgres. On SQLite the writers take turns through an in-process lock, as the service's
// writer gate makes them, so that neither side sleeps in SQLite's busy handler.
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: WriteBench sqlite|postgres CONNECTION COMMAND ...");
    return 2;
}

var postgres = args[0] == "postgres";
var cs = args[1];
var op = args[2];
long L(int i) => long.Parse(args[i]);
NpgsqlDataSource? source = postgres ? NpgsqlDataSource.Create(cs) : null;
var writer = new SemaphoreSlim(1, 1);   // SQLite only: one writer at a time, queued in memory
var forUpdate = postgres ? " FOR UPDATE" : "";

async Task<DbConnection> OpenAsync()
{
    if (source is not null)
    {
        return await source.OpenConnectionAsync();
    }

    var c = new SqliteConnection(cs);
    await c.OpenAsync();
    await ExecAsync(c, null, "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;");
    return c;
}

static DbCommand Cmd(DbConnection c, DbTransaction? tx, string sql, object?[] ps)
{
    var cmd = c.CreateCommand();
    cmd.Transaction = tx;
    cmd.CommandText = sql;
    for (var i = 0; i < ps.Length; i++)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = "@p" + i;
        p.Value = ps[i] ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }

    return cmd;
}

static async Task<int> ExecAsync(DbConnection c, DbTransaction? tx, string sql, params object?[] ps)
{
    await using var cmd = Cmd(c, tx, sql, ps);
    return await cmd.ExecuteNonQueryAsync();
}

static async Task<long?> ScalarAsync(DbConnection c, DbTransaction? tx, string sql, params object?[] ps)
{
    await using var cmd = Cmd(c, tx, sql, ps);
    var v = await cmd.ExecuteScalarAsync();
    return v is null or DBNull ? null : Convert.ToInt64(v);
}

static async Task<long[]?> RowAsync(DbConnection c, DbTransaction? tx, string sql, params object?[] ps)
{
    await using var cmd = Cmd(c, tx, sql, ps);
    await using var r = await cmd.ExecuteReaderAsync();
    if (!await r.ReadAsync())
    {
        return null;
    }

    var row = new long[r.FieldCount];
    for (var i = 0; i < row.Length; i++)
    {
        row[i] = r.IsDBNull(i) ? 0 : r.GetFieldType(i) == typeof(DateTime) ? 0 : Convert.ToInt64(r.GetValue(i));
    }

    return row;
}

// One write unit: on SQLite behind the in-process writer lock, in a transaction when asked.
async Task<T> WriteAsync<T>(DbConnection c, bool transaction, Func<DbTransaction?, Task<T>> work)
{
    if (!postgres)
    {
        await writer.WaitAsync();
    }

    try
    {
        if (!transaction)
        {
            return await work(null);
        }

        await using var tx = await c.BeginTransactionAsync();
        var result = await work(tx);
        await tx.CommitAsync();
        return result;
    }
    finally
    {
        if (!postgres)
        {
            writer.Release();
        }
    }
}

var now = DateTime.UtcNow;
await using var conn = await OpenAsync();
switch (op)
{
    case "seed-active" or "seed-users":
    {
        long first = L(3), n = L(4), balance = op == "seed-active" ? L(5) : 0;
        await WriteAsync(conn, true, async tx =>
        {
            for (var u = first; u < first + n; u++)
            {
                await ExecAsync(conn, tx, """INSERT INTO "Users" ("Id", "Name", "CreatedAt", "Version") VALUES (@p0, @p1, @p2, 0)""", u, $"bench-{u}", now);
                await ExecAsync(conn, tx, """INSERT INTO "Accounts" ("UserId", "Balance", "UpdatedAt", "Version") VALUES (@p0, @p1, @p2, 0)""", u, balance, now);
                if (balance > 0)
                {
                    await ExecAsync(conn, tx, """INSERT INTO "BalanceEntries" ("UserId", "Kind", "Amount", "BalanceAfter", "CreatedAt", "PaymentId") VALUES (@p0, 1, @p1, @p1, @p2, NULL)""", u, balance, now);
                }

                if (op == "seed-active")
                {
                    await ExecAsync(conn, tx, """
                        INSERT INTO "QueueTokens" ("Token", "UserId", "LiveUserId", "Status", "IssuedAt", "ActivatedAt", "ExpiresAt", "LastSeenAt")
                        VALUES (@p0, @p1, @p1, 2, @p2, @p2, @p3, @p2)
                        """, Guid.NewGuid().ToString("N"), u, now, now.AddHours(3));
                }
            }

            if (postgres)
            {
                // Ids written by hand: move the sequence past them so the service's own inserts do not collide.
                await ExecAsync(conn, tx, """SELECT setval(pg_get_serial_sequence('"Users"', 'Id'), (SELECT max("Id") FROM "Users"))""");
            }

            return 0;
        });
        if (op == "seed-active")
        {
            await using var cmd = Cmd(conn, null, """SELECT "Token" FROM "QueueTokens" WHERE "UserId" BETWEEN @p0 AND @p1 AND "Status" = 2 ORDER BY "UserId" """, [first, first + n - 1]);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                Console.WriteLine(r.GetString(0));
            }
        }

        return 0;
    }

    case "seed-seats":
    {
        long n = L(3), price = L(4);
        var range = await WriteAsync(conn, true, async tx =>
        {
            var concert = await ScalarAsync(conn, tx, """INSERT INTO "Concerts" ("Title", "Artist", "Venue") VALUES ('Bench', 'Bench', 'Bench') RETURNING "Id" """);
            var schedule = await ScalarAsync(conn, tx, """INSERT INTO "Schedules" ("ConcertId", "StartsAt", "TotalSeats") VALUES (@p0, @p1, @p2) RETURNING "Id" """, concert, now.AddDays(30), (int)n);
            long firstSeat = 0, lastSeat = 0;
            for (var i = 1; i <= n; i++)
            {
                lastSeat = (await ScalarAsync(conn, tx, """INSERT INTO "Seats" ("ScheduleId", "Number", "Price", "Status", "Version") VALUES (@p0, @p1, @p2, 1, 0) RETURNING "Id" """, schedule, i, price))!.Value;
                if (firstSeat == 0)
                {
                    firstSeat = lastSeat;
                }
            }

            return $"{firstSeat} {lastSeat}";
        });
        Console.WriteLine(range);
        return 0;
    }

    case "seed-holds":
    {
        long firstUser = L(3), firstSeat = L(4), n = L(5);
        await WriteAsync(conn, true, async tx =>
        {
            for (var i = 0; i < n; i++)
            {
                var seat = await RowAsync(conn, tx, """SELECT s."Id", s."ScheduleId", s."Number", s."Price", c."ConcertId" FROM "Seats" s JOIN "Schedules" c ON c."Id" = s."ScheduleId" WHERE s."Id" = @p0""", firstSeat + i);
                var reservation = await ScalarAsync(conn, tx, """
                    INSERT INTO "Reservations" ("UserId", "ConcertId", "ScheduleId", "SeatId", "SeatNumber", "Price", "Status", "HeldUntil", "CreatedAt", "Version")
                    VALUES (@p0, @p1, @p2, @p3, @p4, @p5, 1, @p6, @p7, 0) RETURNING "Id"
                    """, firstUser + i, seat![4], seat[1], seat[0], (int)seat[2], seat[3], now.AddMinutes(30), now);
                await ExecAsync(conn, tx, """UPDATE "Seats" SET "Status" = 2, "HeldByUserId" = @p0, "HeldUntil" = @p1, "ReservationId" = @p2, "Version" = "Version" + 1 WHERE "Id" = @p3""",
                    firstUser + i, now.AddMinutes(30), reservation, seat[0]);
            }

            return 0;
        });
        return 0;
    }

    case "raw":
        break;

    default:
        Console.Error.WriteLine($"unknown command {op}");
        return 2;
}

var workload = args[3];
int connections = (int)L(4), seconds = (int)L(5);
long firstUserId = L(6), users = L(7);
long seatLo = args.Length > 8 ? L(8) : 0, seats = args.Length > 9 ? L(9) : 0;

// The prepared payments: token, reservation and seat of each user, in user order.
var payments = new List<long[]>();
if (workload == "pay")
{
    await using var cmd = Cmd(conn, null, """
        SELECT t."Id", r."Id", r."SeatId", r."UserId" FROM "QueueTokens" t JOIN "Reservations" r ON r."UserId" = t."UserId"
        WHERE t."UserId" BETWEEN @p0 AND @p1 AND t."Status" = 2 AND r."Status" = 1 ORDER BY t."UserId"
        """, [firstUserId, firstUserId + users - 1]);
    await using var r = await cmd.ExecuteReaderAsync();
    while (await r.ReadAsync())
    {
        payments.Add([r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)]);
    }
}

async Task<bool> InsertAsync(DbConnection c, long user) =>
    await WriteAsync(c, false, async _ => await ExecAsync(c, null, """
        INSERT INTO "QueueTokens" ("Token", "UserId", "LiveUserId", "Status", "IssuedAt", "LastSeenAt", "ExpiredAt")
        VALUES (@p0, @p1, NULL, 3, @p2, @p2, @p2)
        """, Guid.NewGuid().ToString("N"), user, DateTime.UtcNow) == 1);

async Task<bool> ChargeAsync(DbConnection c, long user) =>
    await WriteAsync(c, true, async tx =>
    {
        var t = DateTime.UtcNow;
        var a = await RowAsync(c, tx, $"""SELECT "UserId", "Balance", "Version" FROM "Accounts" WHERE "UserId" = @p0{forUpdate}""", user);
        var balance = a![1] + 1;
        // EF sends the UPDATE and the INSERT of one SaveChanges together (one round trip on PostgreSQL).
        var id = await ScalarAsync(c, tx, """
            INSERT INTO "BalanceEntries" ("Amount", "BalanceAfter", "CreatedAt", "Kind", "PaymentId", "UserId") VALUES (1, @p0, @p1, 1, NULL, @p2) RETURNING "Id";
            UPDATE "Accounts" SET "Balance" = @p0, "UpdatedAt" = @p1, "Version" = @p3 WHERE "UserId" = @p2 AND "Version" = @p4;
            """, balance, t, user, a[2] + 1, a[2]);
        return id is not null;
    });

async Task<bool> PayAsync(DbConnection c, long[] p) =>
    await WriteAsync(c, true, async tx =>
    {
        var t = DateTime.UtcNow;
        long token = p[0], reservationId = p[1], seatId = p[2], user = p[3];
        if (await ExecAsync(c, tx, """
                UPDATE "QueueTokens" SET "Status" = 3, "LiveUserId" = NULL, "ExpiredAt" = @p1
                WHERE "Id" = @p0 AND "Status" = 2 AND "ExpiresAt" > @p1 AND "Status" <> 3
                """, token, t) != 1)
        {
            throw new InvalidOperationException("token not active");
        }

        var r = await RowAsync(c, tx, $"""SELECT "Id", "Price", "Version", "Status" FROM "Reservations" WHERE "Id" = @p0 AND "UserId" = @p1{forUpdate}""", reservationId, user);
        var s = await RowAsync(c, tx, """SELECT "Id", "Version", "Status" FROM "Seats" WHERE "Id" = @p0""", seatId);
        var a = await RowAsync(c, tx, $"""SELECT "UserId", "Balance", "Version" FROM "Accounts" WHERE "UserId" = @p0{forUpdate}""", user);
        long price = r![1];
        var payment = await ScalarAsync(c, tx, """
            INSERT INTO "Payments" ("Amount", "PaidAt", "UserId") VALUES (@p0, @p1, @p2) RETURNING "Id";
            UPDATE "Reservations" SET "PaidAt" = @p1, "Status" = 2, "Version" = @p4 WHERE "Id" = @p3 AND "Version" = @p5;
            UPDATE "Seats" SET "HeldUntil" = NULL, "Status" = 3, "Version" = @p7 WHERE "Id" = @p6 AND "Version" = @p8;
            """, price, t, user, reservationId, r[2] + 1, r[2], seatId, s![1] + 1, s[1]);
        await ExecAsync(c, tx, """INSERT INTO "PaymentItems" ("Line", "PaymentId", "ReservationId") VALUES (1, @p0, @p1)""", payment, reservationId);
        var balance = a![1] - price;
        await ExecAsync(c, tx, """
            INSERT INTO "BalanceEntries" ("Amount", "BalanceAfter", "CreatedAt", "Kind", "PaymentId", "UserId") VALUES (@p0, @p1, @p2, 2, @p3, @p4);
            UPDATE "Accounts" SET "Balance" = @p1, "UpdatedAt" = @p2, "Version" = @p5 WHERE "UserId" = @p4 AND "Version" = @p6;
            """, -price, balance, t, payment, user, a[2] + 1, a[2]);
        return true;
    });

async Task<bool> HoldAsync(DbConnection c, long user, long seatId)
{
    var t = DateTime.UtcNow;
    // The check before the transaction: a seat taken answers without writing.
    var seat = await RowAsync(c, null, """SELECT s."Id", s."Status", s."Version", s."Number", s."Price", s."ScheduleId", c."ConcertId" FROM "Seats" s JOIN "Schedules" c ON c."Id" = s."ScheduleId" WHERE s."Id" = @p0""", seatId);
    if (seat![1] != 1)
    {
        return false;
    }

    return await WriteAsync(c, true, async tx =>
    {
        await ExecAsync(c, tx, """UPDATE "Users" SET "Version" = "Version" + 1 WHERE "Id" = @p0""", user);
        await ScalarAsync(c, tx, """SELECT COUNT(*) FROM "Reservations" WHERE "UserId" = @p0 AND "Status" = 1 AND "HeldUntil" > @p1""", user, t);
        var reservation = await ScalarAsync(c, tx, """
            INSERT INTO "Reservations" ("UserId", "ConcertId", "ScheduleId", "SeatId", "SeatNumber", "Price", "Status", "HeldUntil", "CreatedAt", "Version")
            VALUES (@p0, @p1, @p2, @p3, @p4, @p5, 1, @p6, @p7, 0) RETURNING "Id"
            """, user, seat[6], seat[5], seatId, (int)seat[3], seat[4], t.AddMinutes(30), t);
        var taken = await ExecAsync(c, tx, """
            UPDATE "Seats" SET "Status" = 2, "HeldByUserId" = @p0, "HeldUntil" = @p1, "ReservationId" = @p2, "Version" = "Version" + 1
            WHERE "Id" = @p3 AND "Status" = 1
            """, user, t.AddMinutes(30), reservation, seatId);
        if (taken == 0)
        {
            await tx!.RollbackAsync();
            throw new OperationCanceledException("lost");
        }

        return true;
    });
}

// The connections open before the clock starts; a pay run first makes its first SECONDS payments unmeasured (JIT,
// the server's plans and caches), as the service's payments are warmed up before theirs are measured.
var connectionsOpen = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => OpenAsync()));
var latencies = new List<double>[connections];
long next = -1, wins = 0, end = payments.Count;
var deadline = Stopwatch.StartNew();

async Task RunAsync()
{
    await Task.WhenAll(Enumerable.Range(0, connections).Select(async w =>
    {
        var mine = latencies[w] = [];
        var c = connectionsOpen[w];
        var rng = new Random(w * 7919 + 1);
        var i = (long)w * users / connections;
        while (true)
        {
            long[]? prepared = null;
            if (workload == "pay")
            {
                var k = Interlocked.Increment(ref next);
                if (k >= end)
                {
                    break;
                }

                prepared = payments[(int)k];
            }
            else if (deadline.Elapsed.TotalSeconds >= seconds)
            {
                break;
            }

            var user = firstUserId + (i++ % users);
            var started = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                ok = workload switch
                {
                    "insert" => await InsertAsync(c, user),
                    "charge" => await ChargeAsync(c, user),
                    "pay" => await PayAsync(c, prepared!),
                    "hold" => await HoldAsync(c, user, seatLo + rng.NextInt64(seats)),
                    _ => throw new ArgumentException($"unknown workload {workload}"),
                };
            }
            catch (OperationCanceledException)
            {
                ok = false;
            }

            mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (ok)
            {
                Interlocked.Increment(ref wins);
            }
        }
    }));
}

if (workload == "pay" && seconds > 0)
{
    end = Math.Min(seconds, payments.Count);
    await RunAsync();
    next = end - 1;
    end = payments.Count;
    wins = 0;
    deadline.Restart();
}

await RunAsync();
var elapsed = deadline.Elapsed.TotalSeconds;
foreach (var c in connectionsOpen)
{
    await c.DisposeAsync();
}

var all = latencies.SelectMany(l => l).Order().ToArray();
double Pct(double q) => all.Length == 0 ? 0 : all[Math.Clamp((int)Math.Ceiling(all.Length * q) - 1, 0, all.Length - 1)];
Console.WriteLine($"RAW\t{workload}\t{all.Length / elapsed:F1}\t{Pct(0.50):F3}\t{Pct(0.99):F3}\t{all.Length}\t{wins}");
return 0;
