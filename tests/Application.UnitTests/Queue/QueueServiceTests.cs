using Concert.Application.Common.Options;
using Concert.Application.Common.Telemetry;
using Concert.Application.Queue;
using Concert.Application.UnitTests.TestSupport;
using Concert.Domain.Queue;
using Concert.Domain.Users;
using Concert.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Concert.Application.UnitTests.Queue;

/// <summary>Admission, expiry and positions, run against a real schema in in-memory SQLite with a fake clock.</summary>
public sealed class QueueServiceTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private readonly SqliteTestDatabase _database = new();
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly QueueOptions _options = new()
    {
        MaxActiveTokens = 3,
        ActiveTokenLifetime = TimeSpan.FromMinutes(10),
        WaitingTokenIdleTimeout = TimeSpan.FromMinutes(5),
    };

    private int _users;

    public void Dispose() => _database.Dispose();

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    /// <summary>A service as one request gets it; a fresh snapshot cache and view unless the test shares one.</summary>
    private static QueueService Service(
        SqliteConcertDbContext db, FakeTimeProvider clock, QueueOptions options, QueueTokenView? view = null,
        QueueSnapshotCache? snapshots = null)
    {
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        return new(db, clock, wrapped, NullLogger<QueueService>.Instance, snapshots ?? new QueueSnapshotCache(), view ?? new QueueTokenView(clock, wrapped),
            new ConcertMetrics(new DummyMeterFactory(), new QueueSnapshotCache()), new QueueChanges());
    }

    private async Task<T> WithServiceAsync<T>(Func<QueueService, Task<T>> work)
    {
        await using var db = _database.NewContext();
        return await work(Service(db, _clock, _options));
    }

    /// <summary>New users join one after another; returns their token ids in join order.</summary>
    private async Task<List<long>> JoinAsync(int count)
    {
        await using var db = _database.NewContext();
        var users = Enumerable.Range(0, count).Select(_ => User.Register($"user {++_users}", $"user{_users}@example.com", "not-a-real-hash", Now)).ToList();
        db.Users.AddRange(users);
        await db.SaveChangesAsync();
        var tokens = new List<QueueToken>(count);
        foreach (var user in users)
        {
            var token = QueueToken.Issue(user.Id, Now);
            db.QueueTokens.Add(token);
            tokens.Add(token);
        }

        await db.SaveChangesAsync();
        return tokens.Select(t => t.Id).Order().ToList();
    }

    private async Task<List<QueueToken>> TokensAsync()
    {
        await using var db = _database.NewContext();
        return await db.QueueTokens.AsNoTracking().OrderBy(t => t.Id).ToListAsync();
    }

    private async Task ChangeTokenAsync(long id, Action<QueueToken> change)
    {
        await using var db = _database.NewContext();
        change(await db.QueueTokens.SingleAsync(t => t.Id == id));
        await db.SaveChangesAsync();
    }

    private async Task<QueueGate> GateAsync()
    {
        await using var db = _database.NewContext();
        return await db.QueueGates.AsNoTracking().SingleAsync();
    }

    [Fact]
    public async Task Admit_activates_the_oldest_waiting_tokens_up_to_the_cap()
    {
        var ids = await JoinAsync(5);
        _clock.Advance(TimeSpan.FromSeconds(10));

        var admitted = await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));

        Assert.Equal(3, admitted);
        var tokens = await TokensAsync();
        Assert.Equal(ids[..3], tokens.Where(t => t.Status == QueueTokenStatus.Active).Select(t => t.Id));
        Assert.Equal(ids[3..], tokens.Where(t => t.Status == QueueTokenStatus.Waiting).Select(t => t.Id));
        Assert.All(tokens.Take(3), t =>
        {
            Assert.Equal(Now, t.ActivatedAt);
            Assert.Equal(Now + _options.ActiveTokenLifetime, t.ExpiresAt);
            Assert.Equal(t.UserId, t.LiveUserId);
        });
        Assert.All(tokens.Skip(3), t => Assert.Null(t.ActivatedAt));
        var gate = await GateAsync();
        Assert.Equal(3, gate.AdmittedTotal);
        Assert.Equal(3, gate.RateWindowAdmitted);
        Assert.Equal(Now, gate.RateWindowStartedAt);
    }

    [Fact]
    public async Task Admit_at_the_cap_admits_nobody()
    {
        await JoinAsync(5);
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromSeconds(30));

        var admitted = await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));

        Assert.Equal(0, admitted);
        var tokens = await TokensAsync();
        Assert.Equal(3, tokens.Count(t => t.Status == QueueTokenStatus.Active));
        Assert.Equal(2, tokens.Count(t => t.Status == QueueTokenStatus.Waiting));
        Assert.Equal(3, (await GateAsync()).AdmittedTotal);
    }

    [Fact]
    public async Task Admit_refills_the_slots_of_lapsed_active_tokens_in_join_order()
    {
        _options.ActiveTokenLifetime = TimeSpan.FromMinutes(2);
        var ids = await JoinAsync(4);
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        var late = await JoinAsync(2);
        _clock.Advance(TimeSpan.FromMinutes(2));

        var admitted = await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));

        Assert.Equal(3, admitted);
        var tokens = (await TokensAsync()).ToDictionary(t => t.Id);
        Assert.All(ids[..3], id =>
        {
            Assert.Equal(QueueTokenStatus.Expired, tokens[id].Status);
            Assert.Null(tokens[id].LiveUserId);
            Assert.Equal(Now, tokens[id].ExpiredAt);
        });
        Assert.Equal(QueueTokenStatus.Active, tokens[ids[3]].Status);
        Assert.Equal(QueueTokenStatus.Active, tokens[late[0]].Status);
        Assert.Equal(QueueTokenStatus.Active, tokens[late[1]].Status);
        Assert.Equal(6, (await GateAsync()).AdmittedTotal);
    }

    [Fact]
    public async Task Admit_never_admits_a_waiting_token_idle_past_the_timeout()
    {
        _options.MaxActiveTokens = 1;
        _options.ActiveTokenLifetime = TimeSpan.FromMinutes(5);
        var ids = await JoinAsync(3);
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromMinutes(4));
        await ChangeTokenAsync(ids[2], t => t.Seen(Now));
        _clock.Advance(TimeSpan.FromMinutes(2)); // ids[1]: 6 min since its last recorded poll (5 min idle + 1 min slack)

        var admitted = await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));

        Assert.Equal(1, admitted);
        var tokens = await TokensAsync();
        Assert.Equal(
            [QueueTokenStatus.Expired, QueueTokenStatus.Expired, QueueTokenStatus.Active],
            tokens.Select(t => t.Status));
        Assert.Null(tokens[1].ActivatedAt);
        Assert.Equal(Now, tokens[1].ExpiredAt);
        Assert.Equal(Now, tokens[2].ActivatedAt);
    }

    [Fact]
    public async Task HasFreeSlot_ignores_active_tokens_past_their_window_before_any_sweep()
    {
        _options.MaxActiveTokens = 2;
        await JoinAsync(2);
        Assert.True(await WithServiceAsync(s => s.HasFreeSlotAsync(CancellationToken.None)));
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));

        Assert.False(await WithServiceAsync(s => s.HasFreeSlotAsync(CancellationToken.None)));
        _clock.Advance(_options.ActiveTokenLifetime - TimeSpan.FromSeconds(1));
        Assert.False(await WithServiceAsync(s => s.HasFreeSlotAsync(CancellationToken.None)));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await WithServiceAsync(s => s.HasFreeSlotAsync(CancellationToken.None)));
        Assert.All(await TokensAsync(), t => Assert.Equal(QueueTokenStatus.Active, t.Status));
    }

    [Fact]
    public async Task PurgeExpired_deletes_only_tokens_expired_longer_than_the_retention()
    {
        var ids = await JoinAsync(3);
        await ChangeTokenAsync(ids[0], t => t.Expire(Now));
        _clock.Advance(TimeSpan.FromHours(1));
        await ChangeTokenAsync(ids[1], t => t.Expire(Now));
        _clock.Advance(_options.ExpiredTokenRetention - TimeSpan.FromMinutes(30));
        await ChangeTokenAsync(ids[2], t => t.Seen(Now));

        var purged = await WithServiceAsync(s => s.PurgeExpiredAsync(CancellationToken.None));

        Assert.Equal(1, purged);
        Assert.Equal(ids[1..], (await TokensAsync()).Select(t => t.Id));
    }

    [Fact]
    public async Task Describe_a_waiting_token_before_any_admission_estimates_from_capacity_over_lifetime()
    {
        _options.MaxActiveTokens = 100;
        var ids = await JoinAsync(3);
        var third = (await TokensAsync()).Single(t => t.Id == ids[2]);

        var status = await WithServiceAsync(s => s.DescribeAsync(third, CancellationToken.None));

        // 100 slots / 600 s → one admission every 6 s; third in line → 18 s; poll after a tenth, at least 1 s.
        Assert.Equal(new QueueStatusDto(third.Token, third.UserId, QueueTokenStatus.Waiting, 3, 18, null, null, 1), status);
    }

    [Fact]
    public async Task Describe_an_active_token_gives_its_window_and_no_place()
    {
        var ids = await JoinAsync(1);
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        var token = (await TokensAsync()).Single(t => t.Id == ids[0]);
        _clock.Advance(TimeSpan.FromMinutes(1));

        var status = await WithServiceAsync(s => s.DescribeAsync(token, CancellationToken.None));

        Assert.Equal(
            new QueueStatusDto(token.Token, token.UserId, QueueTokenStatus.Active, null, null, Start.UtcDateTime,
                Start.UtcDateTime + _options.ActiveTokenLifetime, null),
            status);
    }

    [Fact]
    public async Task Describe_an_active_token_past_its_window_says_expired()
    {
        var ids = await JoinAsync(1);
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        var token = (await TokensAsync()).Single(t => t.Id == ids[0]);
        _clock.Advance(_options.ActiveTokenLifetime);

        var status = await WithServiceAsync(s => s.DescribeAsync(token, CancellationToken.None));

        Assert.Equal(QueueTokenStatus.Expired, status.Status);
        Assert.Null(status.Position);
        Assert.Null(status.EstimatedWaitSeconds);
        Assert.Null(status.PollAfterSeconds);
    }

    [Fact]
    public async Task Positions_from_rank_marks_match_a_full_count_of_a_long_queue_with_leavers()
    {
        _options.MaxActiveTokens = 250;
        _options.RankMarkSpacing = 50;
        await JoinAsync(2_000);
        // Every seventh user gives up before the snapshot.
        await using (var db = _database.NewContext())
        {
            foreach (var token in await db.QueueTokens.Where(t => t.Id % 7 == 3).ToListAsync())
            {
                token.Expire(Now);
            }

            await db.SaveChangesAsync();
        }

        await WithServiceAsync(async s => { await s.RefreshRankMarksAsync(CancellationToken.None); return 0; });
        await AssertPositionsMatchAFullCountAsync();

        // Admissions and new joiners after the snapshot: the serving counter and the live stretch account for them.
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(250, await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None)));
        await JoinAsync(40);
        await AssertPositionsMatchAFullCountAsync();

        // Admissions past several signposts.
        _options.MaxActiveTokens = 700;
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(450, await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None)));
        await AssertPositionsMatchAFullCountAsync();
    }

    [Fact]
    public async Task Leavers_after_the_snapshot_are_overcounted_only_until_the_next_snapshot()
    {
        _options.MaxActiveTokens = 1_000;
        _options.RankMarkSpacing = 50;
        var ids = await JoinAsync(500);
        await WithServiceAsync(async s => { await s.RefreshRankMarksAsync(CancellationToken.None); return 0; });
        var leavers = ids.Where((_, i) => i % 10 == 0).ToList();
        await using (var db = _database.NewContext())
        {
            foreach (var token in await db.QueueTokens.Where(t => leavers.Contains(t.Id)).ToListAsync())
            {
                token.Expire(Now);
            }

            await db.SaveChangesAsync();
        }

        var stale = await PositionsAsync();
        var truth = BruteForce(await TokensAsync());
        Assert.All(stale, p =>
        {
            var leftAhead = leavers.Count(l => l < p.Key);
            Assert.InRange(p.Value, truth[p.Key], truth[p.Key] + leftAhead);
        });
        Assert.Contains(stale, p => p.Value > truth[p.Key]);

        await WithServiceAsync(async s => { await s.RefreshRankMarksAsync(CancellationToken.None); return 0; });
        await AssertPositionsMatchAFullCountAsync();
    }

    [Fact]
    public async Task Positions_read_from_the_view_follow_another_instances_admissions_and_leavers()
    {
        _options.MaxActiveTokens = 100;
        _options.RankMarkSpacing = 50;
        var ids = await JoinAsync(600);
        await WithServiceAsync(async s => { await s.RefreshRankMarksAsync(CancellationToken.None); return 0; });
        var here = new QueueTokenView(_clock, Microsoft.Extensions.Options.Options.Create(_options));
        await using (var db = _database.NewContext())
        {
            // This instance answers every waiting token once: each is counted and kept.
            var service = Service(db, _clock, _options, here);
            foreach (var token in await db.QueueTokens.AsNoTracking().OrderBy(t => t.Id).ToListAsync())
            {
                await service.DescribeAsync(token, CancellationToken.None);
            }
        }

        Assert.Equal(600, here.Count);

        // Another instance (its own view) admits 100; two waiting users leave there.
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(100, await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None)));
        var leavers = new[] { ids[300], ids[450] };
        _clock.Advance(TimeSpan.FromSeconds(2));   // they leave after the counts, by more than the clock-skew allowance
        foreach (var id in leavers)
        {
            await ChangeTokenAsync(id, t => t.Expire(Now));
        }

        var truth = BruteForce(await TokensAsync());
        var fromView = new Dictionary<long, long>();
        var unanswered = new List<long>();
        await using (var db = _database.NewContext())
        {
            var service = Service(db, _clock, _options, here);
            foreach (var id in ids)
            {
                if (!here.TryGet((await db.QueueTokens.AsNoTracking().SingleAsync(t => t.Id == id)).Token, out var entry))
                {
                    unanswered.Add(id);
                    continue;
                }

                var status = await service.TryDescribeFromViewAsync(entry.ToToken(), entry, CancellationToken.None);
                if (status is null)
                {
                    unanswered.Add(id);
                }
                else
                {
                    Assert.Equal(QueueTokenStatus.Waiting, status.Status);
                    fromView[id] = Assert.NotNull(status.Position);
                }
            }
        }

        // The admitted, the leavers and the next cap's worth in line are not answered from memory (their rows are
        // read and counted)…
        Assert.Equal(
            ids.Where(id => !truth.ContainsKey(id) || truth[id] <= _options.MaxActiveTokens).Order(),
            unanswered.Order());
        Assert.Equal(ids[..200].Concat(leavers).Order(), unanswered.Order());
        // …and every other place is the truth: the admissions and the leavers since the count are subtracted.
        Assert.Equal(400 - leavers.Length, fromView.Count);
        Assert.All(fromView, p => Assert.Equal(truth[p.Key], p.Value));

        // Past the view's age the counts are retaken: as exact as the signposts (exact once they are retaken).
        _clock.Advance(here.MaxAge);
        var waiting = (await TokensAsync()).Where(t => truth.ContainsKey(t.Id)).ToList();
        Assert.All(waiting, t => Assert.False(here.TryGet(t.Token, out _)));
        await WithServiceAsync(async s => { await s.RefreshRankMarksAsync(CancellationToken.None); return 0; });
        await AssertPositionsMatchAFullCountAsync();
    }

    [Fact]
    public async Task A_count_made_with_a_stale_snapshot_is_never_corrected_for_the_same_admissions_twice()
    {
        var ids = await JoinAsync(20);
        var here = new QueueTokenView(_clock, Microsoft.Extensions.Options.Options.Create(_options));
        var cache = new QueueSnapshotCache();
        await using (var db = _database.NewContext())
        {
            // This instance reads the gate (no admissions yet) and keeps it for up to a second.
            await Service(db, _clock, _options, here, cache).DescribeAsync(await db.QueueTokens.AsNoTracking().SingleAsync(t => t.Id == ids[0]), CancellationToken.None);
        }

        // Within that second another instance admits three; then this one counts token 15 live, with the old gate.
        Assert.Equal(3, await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None)));
        QueueStatusDto counted;
        await using (var db = _database.NewContext())
        {
            counted = await Service(db, _clock, _options, here, cache).DescribeAsync(
                await db.QueueTokens.AsNoTracking().SingleAsync(t => t.Id == ids[14]), CancellationToken.None);
        }

        Assert.Equal(12, counted.Position);   // 11 waiting ahead after the three admissions, counted live

        // The next poll, with a fresh gate, must not subtract those three again.
        await using (var db = _database.NewContext())
        {
            var token = (await TokensAsync()).Single(t => t.Id == ids[14]);
            Assert.True(here.TryGet(token.Token, out var entry));
            var fromView = await Service(db, _clock, _options, here).TryDescribeFromViewAsync(token, entry, CancellationToken.None);
            Assert.NotNull(fromView);
            Assert.Equal(12, fromView.Position);
        }
    }

    private async Task AssertPositionsMatchAFullCountAsync()
    {
        var expected = BruteForce(await TokensAsync());
        var actual = await PositionsAsync();

        Assert.Equal(expected.Count, actual.Count);
        Assert.All(actual, p => Assert.Equal(expected[p.Key], p.Value));
    }

    /// <summary>1 + how many waiting tokens joined before each waiting token.</summary>
    private static Dictionary<long, long> BruteForce(List<QueueToken> tokens)
    {
        var positions = new Dictionary<long, long>();
        long ahead = 0;
        foreach (var token in tokens.Where(t => t.Status == QueueTokenStatus.Waiting).OrderBy(t => t.Id))
        {
            positions[token.Id] = ++ahead;
        }

        return positions;
    }

    /// <summary>What every waiting token is told, with the advice checked against its position on the way.</summary>
    private async Task<Dictionary<long, long>> PositionsAsync()
    {
        await using var db = _database.NewContext();
        var service = Service(db, _clock, _options);
        var gate = await db.QueueGates.AsNoTracking().SingleAsync();
        var rate = gate.AdmissionsPerSecond(Now, _options.MaxActiveTokens, _options.ActiveTokenLifetime);
        var waiting = await db.QueueTokens.AsNoTracking()
            .Where(t => t.Status == QueueTokenStatus.Waiting).OrderBy(t => t.Id).ToListAsync();
        var positions = new Dictionary<long, long>();
        foreach (var token in waiting)
        {
            var status = await service.DescribeAsync(token, CancellationToken.None);
            Assert.Equal(QueueTokenStatus.Waiting, status.Status);
            var position = Assert.NotNull(status.Position);
            Assert.Equal(QueuePosition.EstimatedWaitSeconds(position, rate), status.EstimatedWaitSeconds);
            Assert.InRange(Assert.NotNull(status.PollAfterSeconds), 1, 20);
            positions[token.Id] = position;
        }

        return positions;
    }
}
