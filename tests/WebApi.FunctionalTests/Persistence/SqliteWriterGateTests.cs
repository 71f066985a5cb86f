using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using Concert.Infrastructure.Persistence;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;
using Concert.WebApi.FunctionalTests.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Persistence;

/// <summary>
/// The SQLite writer gate hands every turn back, whatever the write did: committed, refused by the domain inside its
/// transaction (rolled back on dispose), refused before any write, or written outside a transaction. A turn kept
/// would make every later writer wait out the busy timeout.
/// </summary>
public sealed class SqliteWriterGateTests
{
    [Fact]
    public async Task Every_turn_is_given_back_after_commits_refusals_and_rollbacks()
    {
        await using var api = await TestApi.StartAsync();
        var gate = api.Services.GetService<SqliteWriterGate>();
        Assert.SkipWhen(gate is null, "The writer gate is SQLite's alone.");
        var userId = await api.Client.CreateUserAsync("Gate keeper");
        await api.Client.ChargeUpToAsync(userId, 99_000_000);
        var turnsBefore = gate.Totals.Turns;

        // 20 racing charges of 100,000 on 99,000,000: ten commit, ten are refused inside their transaction; and
        // ten refused by validation before any write.
        var statuses = await BookingCalls.RaceAsync(30, async i =>
        {
            using var client = api.CreateClient();
            var amount = i < 20 ? 100_000 : 0;
            return (await client.PostAsJsonAsync($"/api/users/{userId}/balance/charges", new { amount })).StatusCode;
        });

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.Conflict));
        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.BadRequest));
        Assert.True(gate.Totals.Turns >= turnsBefore + 20, "each charge that reached the database took a turn");
        // Background workers take turns too; a turn kept for good would never come back.
        Assert.True(await EventuallyFreeAsync(gate), "a writer kept its turn");
        Assert.Equal(100_000_000, await api.Client.BalanceAsync(userId));
    }

    [Fact]
    public async Task A_transaction_cancelled_between_its_turn_and_its_begin_leaves_no_turn_behind()
    {
        var cancelAtBegin = new CancelAtBegin();
        await using var api = await TestApi.StartAsync(o => o.Intercept(cancelAtBegin));
        var gate = api.Services.GetService<SqliteWriterGate>();
        Assert.SkipWhen(gate is null, "The writer gate is SQLite's alone.");

        // The caller goes away (its token is cancelled) once the gate has given it the turn, before BEGIN: what every
        // request waiting in line meets when its client disconnects.
        using var cancel = new CancellationTokenSource();
        var turnsBefore = gate.Totals.Turns;
        await api.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<ConcertDbContext>();
            cancelAtBegin.Arm(cancel);
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                // Whether the begin still happens is the gate's choice; the turn must come back with the unit either way.
            }

            // Back when the unit ends, not only once the pooled context is returned.
            Assert.True(gate.IsFree, "the cancelled begin kept its writer turn past its unit");
            return 0;
        });

        Assert.True(cancel.IsCancellationRequested, "the token was cancelled");
        Assert.True(gate.Totals.Turns > turnsBefore, "the turn was taken before the token was cancelled");
        Assert.True(await EventuallyFreeAsync(gate), "the cancelled begin kept its writer turn");
        var userId = await api.Client.CreateUserAsync("After the cancel");
        Assert.Equal(1_000, await api.Client.ChargeAsync(userId, 1_000));
    }

    [Fact]
    public async Task A_turn_whose_transaction_EF_never_saw_comes_back_when_the_pooled_context_is_returned()
    {
        var failAfterBegin = new FailAfterBegin();
        await using var api = await TestApi.StartAsync(o => o.Intercept(failAfterBegin));
        var gate = api.Services.GetService<SqliteWriterGate>();
        Assert.SkipWhen(gate is null, "The writer gate is SQLite's alone.");

        // An interceptor after the gate's fails the start: SQLite's transaction is begun and the turn taken, but EF
        // never wraps the transaction, so no end event will come. Returning the context to the pool closes its
        // connection without EF's close events; the turn must not outlive it.
        await api.InScopeAsync(async sp =>
        {
            failAfterBegin.Arm();
            await Assert.ThrowsAsync<InvalidOperationException>(() => sp.GetRequiredService<ConcertDbContext>().Database.BeginTransactionAsync());
            return 0;
        });

        Assert.True(await EventuallyFreeAsync(gate), "the orphaned turn outlived its connection");
        var userId = await api.Client.CreateUserAsync("After the orphan");
        Assert.Equal(1_000, await api.Client.ChargeAsync(userId, 1_000));
    }

    /// <summary>Once armed, fails the next transaction start after it was begun.</summary>
    private sealed class FailAfterBegin : DbTransactionInterceptor
    {
        private int _armed;

        public void Arm() => _armed = 1;

        public override ValueTask<DbTransaction> TransactionStartedAsync(
            DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default) =>
            Interlocked.Exchange(ref _armed, 0) == 1
                ? throw new InvalidOperationException("failed after begin (test)")
                : ValueTask.FromResult(result);
    }

    /// <summary>Cancels the armed token when a transaction starts, after the writer gate's interceptor has run.</summary>
    private sealed class CancelAtBegin : DbTransactionInterceptor
    {
        private CancellationTokenSource? _armed;

        public void Arm(CancellationTokenSource cancel) => _armed = cancel;

        public override ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
            DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result,
            CancellationToken cancellationToken = default)
        {
            Interlocked.Exchange(ref _armed, null)?.Cancel();
            return ValueTask.FromResult(result);
        }
    }

    private static async Task<bool> EventuallyFreeAsync(SqliteWriterGate gate)
    {
        for (var i = 0; i < 200; i++)
        {
            if (gate.IsFree)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
