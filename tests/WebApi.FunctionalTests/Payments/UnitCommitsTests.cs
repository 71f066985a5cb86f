using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Concert.Application.Common;
using Concert.Application.Common.Interfaces;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Payments;

/// <summary>
/// Group commit of units that decide (<see cref="UnitCommits"/>; SQLite's payments): units handed over while a commit
/// is in flight share the next one, each under its own savepoint. To make "while a commit is in flight" certain rather
/// than a matter of timing, a first unit holds its group open until the test has seen every later unit queued.
/// </summary>
public sealed class UnitCommitsTests
{
    [Fact]
    public async Task Units_handed_over_while_a_commit_is_in_flight_share_the_next_one()
    {
        SkipOnPostgres();
        await using var api = await TestApi.StartAsync();
        var users = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            var user = await api.Client.CreateUserAsync($"Charger {i}");
            await api.Client.ChargeAsync(user, 1_000);
            users.Add(user);
        }

        var commits = api.Services.GetRequiredService<UnitCommits>();
        var before = commits.Commits;
        var charges = await WhileAGroupIsOpenAsync(api, commits, users.Count, () => users.Select(u => ChargeAsync(api, commits, u)).ToList());

        Assert.Equal(Enumerable.Repeat(1_500L, users.Count), await Task.WhenAll(charges));
        // One commit per unit would be 21: the group held open, then every unit queued behind it.
        Assert.Equal(2, commits.Commits - before);
        foreach (var user in users)
        {
            Assert.Equal(1_500, await api.Client.BalanceAsync(user));
            Assert.Equal(2, (await api.Client.HistoryAsync(user)).Count);
        }
    }

    [Fact]
    public async Task A_group_takes_at_most_MaxUnits_units()
    {
        SkipOnPostgres();
        await using var api = await TestApi.StartAsync();
        var commits = api.Services.GetRequiredService<UnitCommits>();
        var before = commits.Commits;
        const int units = UnitCommits.MaxUnits + 6;

        var done = await WhileAGroupIsOpenAsync<int>(api, commits, units, () =>
            [.. Enumerable.Range(0, units).Select(i => api.InScopeAsync(sp =>
                commits.RunAsync(sp.GetRequiredService<IConcertDbContext>(), _ => Task.FromResult(i), CancellationToken.None)))]);

        Assert.Equal(Enumerable.Range(0, units), await Task.WhenAll(done));
        Assert.Equal(3, commits.Commits - before);   // the one held open, then MaxUnits, then the rest
    }

    [Fact]
    public async Task A_unit_that_throws_after_writing_is_undone_alone_and_the_rest_of_its_commit_is_written()
    {
        SkipOnPostgres();
        await using var api = await TestApi.StartAsync();
        var (a, x, b) = (await api.Client.CreateUserAsync("A"), await api.Client.CreateUserAsync("X"), await api.Client.CreateUserAsync("B"));
        foreach (var user in new[] { a, x, b })
        {
            await api.Client.ChargeAsync(user, 1_000);
        }

        var commits = api.Services.GetRequiredService<UnitCommits>();
        var units = await WhileAGroupIsOpenAsync<long>(api, commits, 3, () =>
            [ChargeAsync(api, commits, a), ChargeAsync(api, commits, x, failAfterWriting: true), ChargeAsync(api, commits, b)]);

        Assert.Equal(1_500, await units[0]);
        Assert.Equal(1_500, await units[2]);
        Assert.Equal("refused after writing", (await Assert.ThrowsAsync<InvalidOperationException>(() => units[1])).Message);
        Assert.Equal(1_500, await api.Client.BalanceAsync(a));
        Assert.Equal(1_500, await api.Client.BalanceAsync(b));
        Assert.Equal(1_000, await api.Client.BalanceAsync(x));
        Assert.Single(await api.Client.HistoryAsync(x));
    }

    [Fact]
    public async Task A_failed_commit_fails_every_unit_of_its_group_and_writes_none()
    {
        SkipOnPostgres();
        var commitFails = new CommitFails();
        await using var api = await TestApi.StartAsync(o => o.Intercept(commitFails));
        var (a, m, b) = (await api.Client.CreateUserAsync("A"), await api.Client.CreateUserAsync("M"), await api.Client.CreateUserAsync("B"));
        foreach (var user in new[] { a, m, b })
        {
            await api.Client.ChargeAsync(user, 1_000);
        }

        var commits = api.Services.GetRequiredService<UnitCommits>();
        var units = await WhileAGroupIsOpenAsync<long>(api, commits, 3, () =>
            [ChargeAsync(api, commits, a), ChargeAsync(api, commits, m, onConnection: commitFails.FailCommitOf), ChargeAsync(api, commits, b)]);

        foreach (var unit in units)
        {
            Assert.Equal(CommitFails.Message, (await Assert.ThrowsAsync<InvalidOperationException>(() => unit)).Message);
        }

        foreach (var user in new[] { a, m, b })
        {
            Assert.Equal(1_000, await api.Client.BalanceAsync(user));
            Assert.Single(await api.Client.HistoryAsync(user));
        }

        // Nothing is left holding SQLite's lock or the writer's turn: the next charge goes through.
        Assert.Equal(1_500, await api.Client.ChargeAsync(a, 500));
    }

    [Fact]
    public async Task A_write_on_a_version_an_earlier_unit_of_the_same_commit_changed_is_refused()
    {
        SkipOnPostgres();
        await using var api = await TestApi.StartAsync();
        var user = await api.Client.CreateUserAsync("Twice");
        await api.Client.ChargeAsync(user, 1_000);

        // Both read the account at the same version before either writes.
        var commits = api.Services.GetRequiredService<UnitCommits>();
        var units = await WhileAGroupIsOpenAsync<long>(api, commits, 2, () => [ChargeAsync(api, commits, user), ChargeAsync(api, commits, user)]);

        // Whichever ran first in the group wins; the other wrote on the version it had changed.
        var outcomes = await Task.WhenAll(units.Select(async u =>
        {
            try
            {
                return (await u).ToString(CultureInfo.InvariantCulture);
            }
            catch (DbUpdateConcurrencyException)
            {
                return "conflict";
            }
        }));
        Assert.Equal(["1500", "conflict"], outcomes.Order());
        Assert.Equal(1_500, await api.Client.BalanceAsync(user));
        Assert.Equal(2, (await api.Client.HistoryAsync(user)).Count);
    }

    [Fact]
    public async Task A_unit_whose_request_was_cancelled_before_its_turn_is_not_run()
    {
        SkipOnPostgres();
        await using var api = await TestApi.StartAsync();
        var user = await api.Client.CreateUserAsync("Gone");
        await api.Client.ChargeAsync(user, 1_000);
        using var gone = new CancellationTokenSource();

        var commits = api.Services.GetRequiredService<UnitCommits>();
        var units = await WhileAGroupIsOpenAsync<long>(api, commits, 1, () =>
        {
            var unit = ChargeAsync(api, commits, user, cancellation: gone.Token);
            gone.Cancel();
            return [unit];
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => units[0]);
        Assert.Equal(1_000, await api.Client.BalanceAsync(user));
    }

    [Fact]
    public async Task A_unit_runs_on_a_context_whose_connection_EF_counts_as_open_and_leaves_it_working()
    {
        SkipOnPostgres();
        await using var api = await TestApi.StartAsync();
        var user = await api.Client.CreateUserAsync("Pooled");
        await api.Client.ChargeAsync(user, 1_000);
        var commits = api.Services.GetRequiredService<UnitCommits>();

        // As a pooled context is left after a request cancelled inside EF's BEGIN: its open counted, never closed.
        var balances = await api.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<IConcertDbContext>();
            await ((DbContext)db).Database.OpenConnectionAsync();
            var account = await db.Accounts.SingleAsync(a => a.UserId == user);
            db.BalanceEntries.Add(account.Charge(500, api.Clock.GetUtcNow().UtcDateTime));
            var written = await commits.RunAsync(db, async ct =>
            {
                await db.SaveChangesAsync(ct);
                return account.Balance;
            }, CancellationToken.None);

            // The context goes on with a connection of its own.
            var read = await db.Accounts.AsNoTracking().Where(a => a.UserId == user).Select(a => a.Balance).SingleAsync();
            return (written, read);
        });

        Assert.Equal((1_500L, 1_500L), balances);
        Assert.Equal(1_500, await api.Client.BalanceAsync(user));
    }

    [Fact]
    public async Task Two_payments_with_one_token_in_one_commit_pay_once()
    {
        SkipOnPostgres();
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 10);
        var (userId, token) = await api.Client.BuyerAsync(1_000_000);
        var reservations = new[] { await api.Client.HoldIdAsync(token, 1), await api.Client.HoldIdAsync(token, 2) };
        var clients = api.Clients(2);

        var commits = api.Services.GetRequiredService<UnitCommits>();
        var before = commits.Commits;
        var payments = await WhileAGroupIsOpenAsync<HttpResponseMessage>(api, commits, 2, () => [.. reservations.Select((r, i) => clients[i].PayAsync(token, r))]);

        var outcomes = await Task.WhenAll(payments.Select(async p => await (await p).OutcomeAsync()));
        // The second unit of the group wrote on the account's version the first had changed: refused, it read again,
        // wrote in the next commit and found the token spent.
        Assert.Equal(["201", "403 queue_token_expired"], outcomes.Order());
        Assert.Equal(3, commits.Commits - before);
        var paid = reservations[Array.IndexOf(outcomes, "201")];
        var price = BookingCalls.PriceOfSeat(paid == reservations[0] ? 1 : 2);
        Assert.Equal(1_000_000 - price, await api.Client.BalanceAsync(userId));
        Assert.Single(await api.Client.HistoryAsync(userId), e => e.GetProperty("kind").GetString() == "payment");
        Assert.Equal("confirmed", await api.Client.ReservationStatusAsync(userId, paid));
        Assert.Equal("held", await api.Client.ReservationStatusAsync(userId, reservations.Single(r => r != paid)));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task A_charge_and_a_payment_through_the_API_share_one_commit()
    {
        SkipOnPostgres();
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 10);
        var (payer, token) = await api.Client.BuyerAsync(1_000_000);
        var reservation = await api.Client.HoldIdAsync(token, 1);
        var charger = await api.Client.CreateUserAsync("Charger");
        await api.Client.ChargeAsync(charger, 1_000);
        var clients = api.Clients(2);

        var commits = api.Services.GetRequiredService<UnitCommits>();
        var before = commits.Commits;
        var calls = await WhileAGroupIsOpenAsync<HttpResponseMessage>(api, commits, 2, () =>
            [clients[0].PayAsync(token, reservation), clients[1].PostAsJsonAsync($"/api/users/{charger}/balance/charges", new { amount = 500 })]);

        Assert.Equal(["201", "200"], await Task.WhenAll(calls.Select(async c => await (await c).OutcomeAsync())));
        Assert.Equal(2, commits.Commits - before);
        Assert.Equal(1_000_000 - BookingCalls.PriceOfSeat(1), await api.Client.BalanceAsync(payer));
        Assert.Equal(1_500, await api.Client.BalanceAsync(charger));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    /// <summary>Holds a group open with a first unit, starts <paramref name="start"/>'s units, waits until
    /// <paramref name="count"/> of them are queued behind it (none can have been run), then lets the group commit.</summary>
    private static async Task<List<Task<T>>> WhileAGroupIsOpenAsync<T>(TestApi api, UnitCommits commits, int count, Func<List<Task<T>>> start)
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var close = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = api.InScopeAsync(sp => commits.RunAsync(
            sp.GetRequiredService<IConcertDbContext>(),
            async _ =>
            {
                open.SetResult();
                await close.Task;
                return 0;
            },
            CancellationToken.None));
        await open.Task;

        var units = start();
        var waited = Stopwatch.StartNew();
        while (commits.Queued < count)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"{commits.Queued} of {count} units queued");
            Assert.DoesNotContain(units, u => u.IsFaulted);
            await Task.Delay(10);
        }

        Assert.DoesNotContain(units, u => u.IsCompleted);
        close.SetResult();
        await holder;
        return units;
    }

    /// <summary>A charge read on a context of its own, written as a unit; the balance it leaves. <paramref name="onConnection"/>
    /// sees the connection the unit writes on (the group's).</summary>
    private static Task<long> ChargeAsync(
        TestApi api, UnitCommits commits, long userId, bool failAfterWriting = false, CancellationToken cancellation = default,
        Action<System.Data.Common.DbConnection>? onConnection = null) =>
        api.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<IConcertDbContext>();
            var account = await db.Accounts.SingleAsync(a => a.UserId == userId);
            db.BalanceEntries.Add(account.Charge(500, api.Clock.GetUtcNow().UtcDateTime));
            return await commits.RunAsync(
                db,
                async ct =>
                {
                    onConnection?.Invoke(((DbContext)db).Database.GetDbConnection());
                    await db.SaveChangesAsync(ct);
                    return failAfterWriting ? throw new InvalidOperationException("refused after writing") : account.Balance;
                },
                cancellation);
        });

    /// <summary>Fails the commit of the transaction on the connection it is given, once.</summary>
    private sealed class CommitFails : DbTransactionInterceptor
    {
        public const string Message = "injected commit failure";

        private System.Data.Common.DbConnection? _target;

        public void FailCommitOf(System.Data.Common.DbConnection connection) => _target = connection;

        public override ValueTask<InterceptionResult> TransactionCommittingAsync(
            System.Data.Common.DbTransaction transaction, TransactionEventData eventData, InterceptionResult result,
            CancellationToken cancellationToken = default) =>
            transaction.Connection is { } connection && Interlocked.CompareExchange(ref _target, null, connection) == connection
                ? throw new InvalidOperationException(Message)
                : ValueTask.FromResult(result);
    }

    private static void SkipOnPostgres()
    {
        if (TestDatabase.ConfiguredProvider == "Postgres")
        {
            Assert.Skip("Units share commits where the database has one writer at a time (SQLite); PostgreSQL's payments lock rows.");
        }
    }
}
