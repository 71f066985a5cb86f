using System.Diagnostics;
using Concert.Application.Common.Interfaces;
using Concert.Application.Queue;
using Concert.Domain.Queue;
using Concert.Domain.Users;
using Concert.Infrastructure.Persistence;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// Group commit (<see cref="GroupCommit{TItem}"/>) for joins (<see cref="JoinCommits"/>) and for polls written down
/// (<see cref="PollRecords"/>): items handed over while a commit is in flight share the next one, and a row the
/// database refuses fails alone. To make "while a commit is in flight" certain rather than a matter of timing, the
/// test holds the database's write lock on the token table from outside the service while it hands the items over:
/// the first commit waits on it, so every later item is queued before any commit ends.
/// </summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Tokens_handed_over_during_a_commit_share_the_next_one()
    {
        await using var api = await TestApi.StartAsync();
        var users = await api.Client.CreateUsersAsync(40, "Joiner");

        var commits = api.Services.GetRequiredService<JoinCommits>();
        var before = commits.Commits;
        var now = api.Clock.GetUtcNow().UtcDateTime;
        var tokens = users.Select(u => QueueToken.Issue(u, now)).ToList();

        List<Task> inserts;
        await using (await WriteLock.TakeAsync(api.Database))
        {
            inserts = tokens.Select(t => (Task)commits.InsertAsync(t, CancellationToken.None)).ToList();
            Assert.DoesNotContain(inserts, t => t.IsCompleted);
        }

        await Task.WhenAll(inserts);

        // One commit per token would be 40. The first commit took what had arrived when the loop woke, the second all
        // the rest.
        Assert.InRange(commits.Commits - before, 1, 2);
        var rows = await api.TokensAsync();
        foreach (var token in tokens)
        {
            var row = Assert.Single(rows, r => r.Id == token.Id);
            Assert.Equal(token.Token, row.Token);
            Assert.Equal(token.UserId, row.UserId);
        }
    }

    [Fact]
    public async Task Joins_handed_over_during_a_commit_each_hear_with_the_read_of_their_places()
    {
        await using var api = await TestApi.StartAsync();
        var users = await api.Client.CreateUsersAsync(20, "Placed");

        var commits = api.Services.GetRequiredService<JoinCommits>();
        var now = api.Clock.GetUtcNow().UtcDateTime;
        var tokens = users.Select(u => QueueToken.Issue(u, now)).ToList();
        List<Task<(bool Inserted, JoinedSince? Since)>> joins;
        await using (await WriteLock.TakeAsync(api.Database))
        {
            // Copied up to 0: each place is counted from the rows read once per commit, a real query.
            joins = tokens.Select(t => commits.InsertAsync(t, 0, CancellationToken.None)).ToList();
        }

        // Bounded, so that a caller never answered fails here instead of hanging the run.
        var answers = await Task.WhenAll(joins).WaitAsync(TimeSpan.FromSeconds(60));

        var inOrder = tokens.OrderBy(t => t.Id).ToList();
        for (var i = 0; i < tokens.Count; i++)
        {
            Assert.True(answers[i].Inserted);
            var since = Assert.IsType<JoinedSince>(answers[i].Since);
            Assert.Equal(inOrder.IndexOf(tokens[i]), since.CountAhead(0, tokens[i].Id, tokens[i].Round, tokens[i].DrawKey));
        }
    }

    [Fact]
    public async Task Joins_far_past_their_copy_of_the_line_hear_who_of_an_earlier_round_joined_after_them()
    {
        await using var api = await TestApi.StartAsync();
        var commits = api.Services.GetRequiredService<JoinCommits>();
        var now = api.Clock.GetUtcNow().UtcDateTime;

        // Ids past what a place is counted exactly from (copies of the line up to 0): the joins below are placed by
        // the upper bound, so the read planned before their insert is only of earlier rounds, above every id the loop
        // has given out.
        var fillers = await api.InScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<ConcertDbContext>();
            var added = Enumerable.Range(0, QueueService.CountFromIdsAbove + 10)
                .Select(i => User.Register($"Filler {i}", $"filler{i}@example.com", "not a hash", now)).ToList();
            db.Users.AddRange(added);
            await db.SaveChangesAsync();
            return added.Select(u => u.Id).ToList();
        });
        await Task.WhenAll(fillers.Select(u => commits.InsertAsync(QueueToken.Issue(u, now, round: 2), CancellationToken.None)));

        var users = await api.Client.CreateUsersAsync(6, "Bounded");

        // The first commits alone (round 1: nothing stands ahead of it): the loop has taken it and waits for the lock
        // when the rest are handed over, so they share the next commit: round 2, then round 1 again (an instance that
        // has not seen the opening yet), joined after them.
        var tokens = users.Select((u, i) => QueueToken.Issue(u, now, round: i is 0 or 5 ? 1 : 2)).ToList();
        List<Task<(bool Inserted, JoinedSince? Since)>> joins;
        await using (await WriteLock.TakeAsync(api.Database))
        {
            joins = [commits.InsertAsync(tokens[0], 0, CancellationToken.None)];
            var waited = Stopwatch.StartNew();
            while (commits.Queued > 0)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the loop never took the first join");
                await Task.Delay(10);
            }

            joins.AddRange(tokens.Skip(1).Select(t => commits.InsertAsync(t, 0, CancellationToken.None)));
        }

        var answers = await Task.WhenAll(joins).WaitAsync(TimeSpan.FromSeconds(60));

        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            Assert.True(answers[i].Inserted);
            Assert.False(QueueService.PlacedExactly(token, 0));
            var since = Assert.IsType<JoinedSince>(answers[i].Since);
            Assert.Null(since.CountAhead(0, token.Id, token.Round, token.DrawKey));
            Assert.Equal(
                tokens.Count(t => t.Id > token.Id && t.Round < token.Round),
                since.CountJoinedLaterOfEarlierRound(token.Id, token.Round));
        }

        Assert.True(tokens[5].Id > tokens[1].Id, "the round-1 join came after the round-2 ones, so they count it");
    }

    [Fact]
    public async Task A_row_its_users_live_token_refuses_is_skipped_alone_and_the_rest_of_its_commit_is_written()
    {
        await using var api = await TestApi.StartAsync();
        var x = await api.Client.CreateUserAsync("X");
        var (_, live) = await api.Client.JoinAsync(x);   // X's live token: a second one breaks the unique index
        var others = await api.Client.CreateUsersAsync(5, "Other");

        var (inserted, refused) = await InsertTogetherAsync(api, others, x);

        Assert.False(await refused.Insert, "X's live token refused the second one");
        var rows = await api.TokensAsync();
        Assert.Equal(live.Token(), Assert.Single(rows, r => r.UserId == x).Token);
        Assert.DoesNotContain(rows, r => r.Token == refused.Token.Token);
        await AssertWrittenInAtMostTwoCommitsAsync(api, inserted);
    }

    [Fact]
    public async Task A_row_of_a_user_the_database_does_not_have_fails_alone_and_the_rest_share_a_commit()
    {
        await using var api = await TestApi.StartAsync();
        var others = await api.Client.CreateUsersAsync(5, "Other");

        var (inserted, refused) = await InsertTogetherAsync(api, others, others.Max() + 1_000_000);

        await Assert.ThrowsAsync<DbUpdateException>(() => refused.Insert);
        Assert.DoesNotContain(await api.TokensAsync(), r => r.Token == refused.Token.Token);
        await AssertWrittenInAtMostTwoCommitsAsync(api, inserted);
    }

    /// <summary>The first of <paramref name="users"/>'s tokens, then <paramref name="refusedUser"/>'s, then the rest,
    /// handed over while a commit is in flight: the refused one never stands alone in a commit.</summary>
    private static async Task<(List<(QueueToken Token, Task<bool> Insert, long CommitsBefore)> Inserted, (QueueToken Token, Task<bool> Insert) Refused)>
        InsertTogetherAsync(TestApi api, List<long> users, long refusedUser)
    {
        var commits = api.Services.GetRequiredService<JoinCommits>();
        var before = commits.Commits;
        var now = api.Clock.GetUtcNow().UtcDateTime;
        var refusedToken = QueueToken.Issue(refusedUser, now);
        var inserted = new List<(QueueToken, Task<bool>, long)>();
        Task<bool> refusedInsert;
        await using (await WriteLock.TakeAsync(api.Database))
        {
            var first = QueueToken.Issue(users[0], now);
            inserted.Add((first, commits.InsertAsync(first, CancellationToken.None), before));
            refusedInsert = commits.InsertAsync(refusedToken, CancellationToken.None);
            foreach (var user in users.Skip(1))
            {
                var token = QueueToken.Issue(user, now);
                inserted.Add((token, commits.InsertAsync(token, CancellationToken.None), before));
            }
        }

        return (inserted, (refusedToken, refusedInsert));
    }

    /// <summary>Every token written, and all of them in one or two commits: the first took what had arrived when the
    /// loop woke, the second the rest. Writing the refused one's batch again row by row would be a commit per row.</summary>
    private static async Task AssertWrittenInAtMostTwoCommitsAsync(TestApi api, List<(QueueToken Token, Task<bool> Insert, long CommitsBefore)> inserted)
    {
        foreach (var (_, insert, _) in inserted)
        {
            Assert.True(await insert);
        }

        var rows = await api.TokensAsync();
        foreach (var (token, _, _) in inserted)
        {
            Assert.Equal(token.Token, Assert.Single(rows, r => r.Id == token.Id).Token);
        }

        Assert.InRange(api.Services.GetRequiredService<JoinCommits>().Commits - inserted[0].CommitsBefore, 1, 2);
    }

    [Fact]
    public async Task Polls_written_down_during_a_commit_share_the_next_one_and_each_row_moves_forward()
    {
        await using var api = await TestApi.StartAsync();
        var now = api.Clock.GetUtcNow().UtcDateTime;
        var joins = api.Services.GetRequiredService<JoinCommits>();
        var tokens = new List<QueueToken>();
        for (var i = 0; i < 40; i++)
        {
            var token = QueueToken.Issue(await api.Client.CreateUserAsync($"Poller {i}"), now);
            await joins.InsertAsync(token, CancellationToken.None);
            tokens.Add(token);
        }

        var records = api.Services.GetRequiredService<PollRecords>();
        var before = records.Commits;
        var polledAt = now.AddMinutes(2);
        List<Task> polls;
        await using (await WriteLock.TakeAsync(api.Database))
        {
            polls = tokens.Select(t => records.RecordAsync(t.Id, polledAt, CancellationToken.None)).ToList();
            Assert.DoesNotContain(polls, t => t.IsCompleted);
        }

        await Task.WhenAll(polls);

        // One commit per poll would be 40.
        Assert.InRange(records.Commits - before, 1, 2);
        var seen = await LastSeenAsync(api);
        Assert.All(tokens, t => AssertSameInstant(polledAt, seen[t.Id]));

        // An older poll written down late never moves a token's record back.
        await records.RecordAsync(tokens[0].Id, now.AddMinutes(1), CancellationToken.None);
        AssertSameInstant(polledAt, (await LastSeenAsync(api))[tokens[0].Id]);
    }

    [Fact]
    public async Task A_poll_written_down_touches_only_a_token_still_in_line()
    {
        await using var api = await TestApi.StartAsync();
        var user = await api.Client.CreateUserAsync("Leaver");
        var (_, joined) = await api.Client.JoinAsync(user);
        await api.Client.LeaveAsync(joined.Token());
        var left = Assert.Single(await api.TokensAsync(), r => r.UserId == user);
        Assert.Equal(QueueTokenStatus.Expired, left.Status);
        var before = (await LastSeenAsync(api))[left.Id];

        await api.Services.GetRequiredService<PollRecords>().RecordAsync(left.Id, before.AddMinutes(5), CancellationToken.None);

        AssertSameInstant(before, (await LastSeenAsync(api))[left.Id]);
    }

    /// <summary>Equal up to the storage's precision (PostgreSQL keeps microseconds; the fake clock has ticks).</summary>
    private static void AssertSameInstant(DateTime expected, DateTime actual) =>
        Assert.True(Math.Abs((expected - actual).TotalMilliseconds) < 1, $"expected {expected:O}, got {actual:O}");

    private static Task<Dictionary<long, DateTime>> LastSeenAsync(TestApi api) =>
        api.InScopeAsync(sp => sp.GetRequiredService<IConcertDbContext>().QueueTokens.AsNoTracking()
            .ToDictionaryAsync(t => t.Id, t => t.LastSeenAt));

    /// <summary>Holds the write lock that inserts of queue tokens need, from a connection of the test's own.</summary>
    private sealed class WriteLock : IAsyncDisposable
    {
        private readonly System.Data.Common.DbConnection _connection;
        private readonly System.Data.Common.DbTransaction _transaction;

        private WriteLock(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction) =>
            (_connection, _transaction) = (connection, transaction);

        public static async Task<WriteLock> TakeAsync(TestDatabase database)
        {
            if (database.IsPostgres)
            {
                var pg = new NpgsqlConnection(database.ConnectionString);
                await pg.OpenAsync();
                var pgTransaction = await pg.BeginTransactionAsync();
                await using var command = new NpgsqlCommand("LOCK TABLE \"QueueTokens\" IN EXCLUSIVE MODE", pg, pgTransaction);
                await command.ExecuteNonQueryAsync();
                return new WriteLock(pg, pgTransaction);
            }

            var sqlite = new SqliteConnection($"Data Source={database.SqlitePath}");
            await sqlite.OpenAsync();
            // Microsoft.Data.Sqlite begins IMMEDIATE: SQLite's one write lock, held until the rollback.
            var transaction = await sqlite.BeginTransactionAsync();
            return new WriteLock(sqlite, transaction);
        }

        public async ValueTask DisposeAsync()
        {
            await _transaction.RollbackAsync();
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
