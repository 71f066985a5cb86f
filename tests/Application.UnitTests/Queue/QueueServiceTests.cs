using Concert.Application.Common.Interfaces;
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

    /// <summary>A service as one request gets it, with a fresh copy of the line unless the test shares one (an
    /// instance's). The room's cap is the test's <see cref="QueueOptions.MaxActiveTokens"/>, written to its row
    /// first, as an operator would.</summary>
    private static QueueService Service(
        SqliteConcertDbContext db, FakeTimeProvider clock, QueueOptions options, WaitingLine? line = null)
    {
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        var instance = line ?? new WaitingLine(clock, wrapped);
        return new(new Lazy<IConcertDbContext>(() => db), clock, wrapped, NullLogger<QueueService>.Instance, instance,
            new ConcertMetrics(new DummyMeterFactory(), instance), new QueueChanges());
    }

    private async Task<T> WithServiceAsync<T>(Func<QueueService, Task<T>> work, WaitingLine? line = null)
    {
        await using var db = _database.NewContext();
        await SetRoomAsync(db, room => room.SetCap(_options.MaxActiveTokens));
        return await work(Service(db, _clock, _options, line));
    }

    private static async Task SetRoomAsync(SqliteConcertDbContext db, Action<QueueGate> change)
    {
        var room = await db.QueueGates.SingleAsync();
        change(room);
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
    }

    /// <summary>New users join one after another; returns their token ids in join order.</summary>
    private async Task<List<long>> JoinAsync(int count, Func<long, QueueToken>? issue = null)
    {
        await using var db = _database.NewContext();
        var users = Enumerable.Range(0, count).Select(_ => User.Register($"user {++_users}", $"user{_users}@example.com", "not-a-real-hash", Now)).ToList();
        db.Users.AddRange(users);
        await db.SaveChangesAsync();
        var tokens = new List<QueueToken>(count);
        foreach (var user in users)
        {
            var token = issue?.Invoke(user.Id) ?? QueueToken.Issue(user.Id, Now);
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
        Assert.Equal(new QueueStatusDto(third.Token, third.UserId, QueueTokenStatus.Waiting, 3, 18, null, null, null, 1), status);
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
                Start.UtcDateTime + _options.ActiveTokenLifetime, null, null),
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
    public async Task Positions_match_a_full_count_of_a_long_line_with_leavers_and_admissions()
    {
        _options.MaxActiveTokens = 250;
        var ids = await JoinAsync(2_000);
        foreach (var id in ids.Where((_, i) => i % 7 == 3))
        {
            await ChangeTokenAsync(id, t => t.Expire(Now));   // every seventh gives up
        }

        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));

        await AssertPositionsMatchAFullCountAsync();
    }

    [Fact]
    public async Task A_copy_of_the_line_read_before_admissions_and_leavers_errs_high_never_low()
    {
        _options.MaxActiveTokens = 100;
        var ids = await JoinAsync(600);
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        _options.LineReadInterval = TimeSpan.FromHours(1);   // this instance keeps its copy until told to read again
        var line = new WaitingLine(_clock, Microsoft.Extensions.Options.Options.Create(_options));
        await PositionsAsync(line);

        // Another instance admits 100 more and 40 leave, all after this instance read its copy.
        await ChangeTokensAsync(ids.Skip(150).Take(40), t => t.Expire(Now));
        await ChangeTokensAsync(ids.Skip(100).Take(50), t => t.Expire(Now));
        _options.MaxActiveTokens = 150;
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));   // a fresh copy: another instance
        var truth = BruteForce(await TokensAsync());
        var stale = await PositionsAsync(line, readAgain: false);

        Assert.All(stale.Where(p => truth.ContainsKey(p.Key)), p => Assert.True(p.Value >= truth[p.Key],
            $"token {p.Key}: told {p.Value} from the old copy, but only {truth[p.Key]} are ahead now"));
        Assert.Contains(stale, p => truth.TryGetValue(p.Key, out var now) && p.Value > now);   // it was stale

        var fresh = await PositionsAsync(line, readAgain: true);
        Assert.Equal(truth.OrderBy(p => p.Key), fresh.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Newcomers_after_the_copy_are_ranked_exactly_behind_everyone()
    {
        _options.MaxActiveTokens = 10;
        await JoinAsync(50);
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        _options.LineReadInterval = TimeSpan.FromHours(1);
        var line = new WaitingLine(_clock, Microsoft.Extensions.Options.Options.Create(_options));
        await PositionsAsync(line);

        var newcomers = await JoinAsync(5);
        var truth = BruteForce(await TokensAsync());
        var told = await PositionsAsync(line, readAgain: false);

        Assert.Equal([41, 42, 43, 44, 45], newcomers.Select(id => told[id]));
        Assert.Equal(truth.OrderBy(p => p.Key), told.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task An_opening_draws_the_prequeue_once_in_score_order_between_the_line_before_it_and_joiners_after_it()
    {
        _options.MaxActiveTokens = 1;
        _options.WaitingTokenIdleTimeout = TimeSpan.FromHours(1);   // everyone keeps polling until the opening
        _options.ActiveTokenLifetime = TimeSpan.FromHours(2);
        var earlier = await JoinAsync(3);   // in line before the opening was scheduled
        var seed = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var opensAt = Now.AddMinutes(30);
        long drawId;
        await using (var db = _database.NewContext())
        {
            var draw = QueueDraw.FromSeed(seed, Now);
            db.QueueDraws.Add(draw);
            await db.SaveChangesAsync();
            drawId = draw.Id;
            await SetRoomAsync(db, room => room.Schedule(draw, opensAt, Now));
        }

        var prequeue = await JoinAsync(40, u => QueueToken.IssuePrequeue(u, Now, drawId, seed));
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));   // the first of the earlier line only
        Assert.Equal([earlier[0]], (await TokensAsync()).Where(t => t.Status == QueueTokenStatus.Active).Select(t => t.Id));

        _clock.SetUtcNow(opensAt);
        var afterOpening = await JoinAsync(2, u => QueueToken.Issue(u, Now, round: drawId));
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));   // a second pass draws nothing more

        var tokens = await TokensAsync();
        await using var check = _database.NewContext();
        var made = await check.QueueDraws.AsNoTracking().SingleAsync();
        var room = await check.QueueGates.AsNoTracking().SingleAsync();
        Assert.Equal(Now, made.DrawnAt);
        Assert.Equal(40, made.Total);
        Assert.Equal(drawId, room.Round);
        Assert.Null(room.PendingDrawId);
        // The published order is every pre-queue token's HMAC-SHA256 score under the revealed seed, ascending.
        var byScore = tokens.Where(t => prequeue.Contains(t.Id))
            .Select(t => (t.Id, Score: Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(seed, System.Text.Encoding.UTF8.GetBytes(t.Token)))))
            .OrderBy(x => x.Score, StringComparer.Ordinal).ToList();
        Assert.Equal(byScore.Select(x => x.Score), made.ScoresPage(0, 1000));
        // The line: the earlier line first, then the drawn pre-queue in score order, then whoever joined after.
        var expectedOrder = earlier.Skip(1).Concat(byScore.Select(x => x.Id)).Concat(afterOpening).ToList();
        var positions = await PositionsAsync();
        Assert.Equal(expectedOrder, positions.OrderBy(p => p.Value).Select(p => p.Key));
        Assert.Equal(Enumerable.Range(1, expectedOrder.Count).Select(i => (long)i), positions.Values.Order());
        // Admission follows it.
        _options.MaxActiveTokens = 1 + 2 + 5;
        await WithServiceAsync(s => s.AdmitAsync(CancellationToken.None));
        var active = (await TokensAsync()).Where(t => t.Status == QueueTokenStatus.Active).Select(t => t.Id).Order();
        Assert.Equal(earlier.Concat(byScore.Take(5).Select(x => x.Id)).Order(), active);
    }

    private async Task ChangeTokensAsync(IEnumerable<long> ids, Action<QueueToken> change)
    {
        foreach (var id in ids)
        {
            await ChangeTokenAsync(id, change);
        }
    }

    private async Task AssertPositionsMatchAFullCountAsync()
    {
        var expected = BruteForce(await TokensAsync());
        var actual = await PositionsAsync();

        Assert.Equal(expected.Count, actual.Count);
        Assert.All(actual, p => Assert.Equal(expected[p.Key], p.Value));
    }

    /// <summary>1 + how many waiting tokens stand before each waiting token in the line's order (round, draw key,
    /// join order), counted the slow way.</summary>
    private static Dictionary<long, long> BruteForce(List<QueueToken> tokens)
    {
        var positions = new Dictionary<long, long>();
        long ahead = 0;
        foreach (var token in tokens.Where(t => t.Status == QueueTokenStatus.Waiting)
                     .OrderBy(t => t.Round).ThenBy(t => t.DrawKey).ThenBy(t => t.Id))
        {
            positions[token.Id] = ++ahead;
        }

        return positions;
    }

    /// <summary>What every waiting token is told, with the advice checked against its position on the way.</summary>
    private async Task<Dictionary<long, long>> PositionsAsync(WaitingLine? line = null, bool readAgain = true)
    {
        await using var db = _database.NewContext();
        if (line is not null && readAgain)
        {
            await line.RefreshAsync(db, CancellationToken.None);
        }

        var service = Service(db, _clock, _options, line);
        var gate = await db.QueueGates.AsNoTracking().SingleAsync();
        var rate = gate.AdmissionsPerSecond(Now, gate.MaxActiveTokens, _options.ActiveTokenLifetime);
        var waiting = await db.QueueTokens.AsNoTracking()
            .Where(t => t.Status == QueueTokenStatus.Waiting).OrderBy(t => t.Id).ToListAsync();
        var positions = new Dictionary<long, long>();
        foreach (var token in waiting)
        {
            var status = await service.DescribeAsync(token, CancellationToken.None);
            Assert.Equal(QueueTokenStatus.Waiting, status.Status);
            var position = Assert.NotNull(status.Position);
            if (readAgain)
            {
                Assert.Equal(QueuePosition.EstimatedWaitSeconds(position, rate), status.EstimatedWaitSeconds);
            }

            Assert.InRange(Assert.NotNull(status.PollAfterSeconds), 1, 20);
            positions[token.Id] = position;
        }

        return positions;
    }
}
