using System.Linq.Expressions;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Application.Common.Telemetry;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue;

/// <summary>
/// The waiting room's moving parts, in one place: admission (the draw when an opening comes, then the line's order
/// up to the cap, decided under the room row's lock so that any number of instances admit one at a time and always
/// under the settings as they stand) and what a client is told about its token (<see cref="WaitingLine"/>).
/// </summary>
public sealed class QueueService(
    Lazy<IConcertDbContext> database,
    TimeProvider clock,
    IOptions<QueueOptions> options,
    ILogger<QueueService> logger,
    WaitingLine line,
    ConcertMetrics metrics,
    QueueChanges changes)
{
    private QueueOptions Options => options.Value;

    // Taken from the pool only when used: a poll answered from the copy of the line needs none.
    private IConcertDbContext db => database.Value;

    public DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Expires lapsed tokens, makes the opening's draw when it is due, then activates the first in line into the
    /// free slots (none while paused). Returns how many were admitted. Safe to run from every instance at once:
    /// the room row's lock serialises the decisions. This instance reads the line again afterwards when the pass
    /// changed it (admitted, drew, or expired someone idle in line), or always with <paramref name="readLine"/>
    /// (after a settings change the copy must show them).
    /// </summary>
    public async Task<int> AdmitAsync(CancellationToken cancellationToken, bool readLine = false)
    {
        List<DateTime> joinedAt = [];
        List<long> admittedIds = [];
        (int Idle, int Lifetime) expired = default;
        var drawn = -1;
        var now = Now;
        var admitted = await db.InTransactionAsync(async ct =>
        {
            joinedAt.Clear();   // a retried transaction starts over
            admittedIds.Clear();
            drawn = -1;
            var room = await db.LockQueueGateAsync(ct);
            now = Now;
            expired = await ExpireLapsedAsync(now, ct);
            if (room.IsDrawDue(now))
            {
                drawn = await DrawAsync(room, now, ct);
            }

            // A join that read the room just before a draw may have put its token in the pre-queue of an opening
            // already drawn: it joined after the draw, so it takes its place in line by join order.
            await db.QueueTokens
                .Where(t => t.Status == QueueTokenStatus.Prequeue && t.Round <= room.Round)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(t => t.Status, QueueTokenStatus.Waiting)
                    .SetProperty(t => t.DrawKey, QueueToken.NotDrawn), ct);

            if (room.Paused)
            {
                await db.SaveChangesAsync(ct);
                return 0;
            }

            var active = await db.QueueTokens.CountAsync(t => t.Status == QueueTokenStatus.Active, ct);
            var free = room.MaxActiveTokens - active;
            // While an opening's draw is pending, its round waits: its drawn tokens will stand ahead of the rest.
            var beforeRound = room.PendingDrawId ?? long.MaxValue;

            // Conditional on still waiting: leaving the queue takes no room lock, so a token read as waiting may
            // have left before the write; it freed nothing, so read the line again for the slot it would have taken.
            DateTime? activatedAt = now;
            DateTime? expiresAt = now + Options.ActiveTokenLifetime;
            var activated = 0;
            while (activated < free)
            {
                var chosen = await db.QueueTokens
                    .Where(t => t.Status == QueueTokenStatus.Waiting && t.Round < beforeRound)
                    .OrderBy(t => t.Round).ThenBy(t => t.DrawKey).ThenBy(t => t.Id)
                    .Take(free - activated)
                    .Select(t => new { t.Id, t.IssuedAt })
                    .ToListAsync(ct);
                if (chosen.Count == 0)
                {
                    break;
                }

                var next = chosen.Select(t => t.Id).ToList();
                var written = await db.QueueTokens
                    .Where(t => next.Contains(t.Id) && t.Status == QueueTokenStatus.Waiting)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(t => t.Status, QueueTokenStatus.Active)
                        .SetProperty(t => t.ActivatedAt, activatedAt)
                        .SetProperty(t => t.ExpiresAt, expiresAt), ct);
                joinedAt.AddRange(chosen.Select(t => t.IssuedAt));
                admittedIds.AddRange(next);
                activated += written;
                if (written == chosen.Count)
                {
                    break;   // nobody left in between: the line is shorter than the free slots, or they are full
                }
            }

            if (activated > 0)
            {
                room.RecordAdmissions(activated, now, Options.AdmissionRateWindow);
            }

            await db.SaveChangesAsync(ct);
            return activated;
        }, cancellationToken);

        metrics.Expired("idle", expired.Idle);
        metrics.Expired("lifetime", expired.Lifetime);
        metrics.Admitted(admitted, joinedAt, now);
        if (drawn >= 0)
        {
            logger.LogInformation("Drew the opening's pre-queue: {Count} tokens", drawn);
        }

        if (admitted > 0 || drawn >= 0 || expired.Idle > 0 || readLine)
        {
            foreach (var id in admittedIds)
            {
                line.MovedHere(id);
            }

            await line.RefreshAsync(db, cancellationToken);
            changes.Pulse();
            if (admitted > 0)
            {
                logger.LogInformation("Admitted {Count} waiting tokens", admitted);
            }
        }

        return admitted;
    }

    /// <summary>
    /// The opening's draw, inside the admission's transaction under the room lock, so it is made once: the room's
    /// pending draw is cleared in the same commit. Every pre-queue token of the round joins the line at once (one
    /// statement; their places were fixed at join by their scores); the scores are then read back in that same
    /// transaction, so the published list is exactly the tokens moved, and published with the seed.
    /// </summary>
    private async Task<int> DrawAsync(QueueGate room, DateTime now, CancellationToken ct)
    {
        var drawId = room.PendingDrawId!.Value;
        var draw = await db.QueueDraws.SingleAsync(d => d.Id == drawId, ct);
        await db.QueueTokens
            .Where(t => t.Status == QueueTokenStatus.Prequeue && t.Round == drawId)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, QueueTokenStatus.Waiting), ct);
        var tokens = await db.QueueTokens.AsNoTracking()
            .Where(t => t.Status == QueueTokenStatus.Waiting && t.Round == drawId && t.DrawKey != QueueToken.NotDrawn)
            .Select(t => t.Token)
            .ToListAsync(ct);
        draw.Reveal(now, tokens);
        room.Opened(drawId);
        return tokens.Count;
    }

    /// <summary>Whether admission could take someone right now: not paused and under the cap (the room as this
    /// instance last read it, at most a second old; <see cref="AdmitAsync"/> decides under the lock).</summary>
    public Task<bool> HasFreeSlotAsync(CancellationToken cancellationToken) => HasFreeSlotAsync(besides: 0, cancellationToken);

    /// <summary>As <see cref="HasFreeSlotAsync(CancellationToken)"/>, not counting token <paramref name="besides"/>: a
    /// joiner's own, which a concurrent admission pass (the worker's, another join's) may have let in since its insert.
    /// Counted, it would fill the slot it took, and the joiner would be told "waiting" while its row says active.</summary>
    public async Task<bool> HasFreeSlotAsync(long besides, CancellationToken cancellationToken)
    {
        var snapshot = await line.CurrentAsync(database, cancellationToken);
        var room = snapshot.Room;
        if (room.Paused)
        {
            return false;
        }

        if (snapshot.Active >= room.MaxActiveTokens && snapshot.Waiting > 0)
        {
            // Full with people waiting, a second ago: a slot freed since goes to the first of them, by the worker's
            // pass within AdmissionInterval, not to a newcomer. In a rush this is every join, and counting the active
            // tokens (up to the cap) for each of them was most of a join's cost.
            return false;
        }

        var now = Now;
        var active = await db.QueueTokens.Where(t => t.Id != besides).CountAsync(QueueTokenUpdates.ActiveAt(now), cancellationToken);
        return active < room.MaxActiveTokens;
    }

    /// <summary>Writes down what time has already decided: active tokens past their window, idle ones in line.
    /// Returns the rows expired for each reason (the caller counts them once its transaction commits).</summary>
    public Task<(int Idle, int Lifetime)> ExpireLapsedAsync(DateTime now, CancellationToken cancellationToken) =>
        db.QueueTokens.ExpireLapsedAsync(now, now - Options.IdleExpiryAfterLastRecordedPoll, cancellationToken);

    /// <summary>Reads the line again when this instance's copy is older than a second: what keeps the queue gauges
    /// and open streams moving on an instance no poll keeps fresh. Pulses the streams when something moved.</summary>
    public async Task RefreshLineIfStaleAsync(CancellationToken cancellationToken)
    {
        var snapshot = await line.CurrentAsync(database, cancellationToken);
        changes.PulseIfChanged(snapshot.Fingerprint());
    }

    /// <summary>Deletes tokens expired longer ago than the retention; they answer 401 from then on.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var before = Now - Options.ExpiredTokenRetention;
        return await db.QueueTokens
            .Where(t => t.Status == QueueTokenStatus.Expired && t.ExpiredAt < before)
            .ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>The status a client sees, from the token's row: its place from this instance's copy of the line
    /// when the copy holds it, else ranked against the copy plus a count of those who joined since, ahead of it —
    /// from <paramref name="joined"/> when its rows tell (a newcomer: read once for its whole group commit), else
    /// counted.</summary>
    public Task<QueueStatusDto> DescribeAsync(QueueToken token, CancellationToken cancellationToken) =>
        DescribeAsync(token, joined: null, cancellationToken);

    /// <inheritdoc cref="DescribeAsync(QueueToken, CancellationToken)"/>
    public async Task<QueueStatusDto> DescribeAsync(QueueToken token, JoinedSince? joined, CancellationToken cancellationToken)
    {
        var now = Now;
        var status = token.StatusAt(now, Options.IdleExpiryAfterLastRecordedPoll);
        if (status is QueueTokenStatus.Active or QueueTokenStatus.Expired)
        {
            return NotInLine(token.Token, token.UserId, status, token.ActivatedAt, token.ExpiresAt);
        }

        var snapshot = await line.CurrentAsync(database, cancellationToken);
        if (status == QueueTokenStatus.Prequeue)
        {
            return Prequeue(token.Token, token.UserId, snapshot, now);
        }

        long ahead;
        if (line.TryPlace(snapshot, token.Id, out var entry, out var place) && entry.Status == QueueTokenStatus.Waiting)
        {
            ahead = place;
        }
        else
        {
            ahead = line.CountAhead(snapshot, token.Round, token.DrawKey, token.Id)
                    + await JoinedSinceAheadAsync(token, snapshot.MaxId, joined, cancellationToken);
        }

        return Waiting(token.Token, token.UserId, ahead + 1, snapshot, now);
    }

    /// <summary>Beyond <see cref="CountFromIdsAbove"/> joins since the copy was read, a token at the end of the line
    /// is given an upper bound instead of a count.</summary>
    public const int CountFromIdsAbove = 256;

    /// <summary>Waiting or in a pre-queue, written `Status + 0` so that no index on the status can serve the query:
    /// SQLite's planner otherwise takes the (Status, Round, …) index and walks every waiting token for the few in an
    /// id range, which the primary key finds directly.</summary>
    internal static readonly Expression<Func<QueueToken, bool>> InLineFoundByPrimaryKey = t =>
        (int)t.Status + 0 == (int)QueueTokenStatus.Waiting || (int)t.Status + 0 == (int)QueueTokenStatus.Prequeue;

    /// <summary>
    /// Of the tokens that joined after the copy was read (ids above <paramref name="maxId"/>), how many stand ahead of
    /// <paramref name="token"/>: counted exactly while they are few. In a rush a second's joins are thousands, and
    /// counting them again for every newcomer costs the square of the join rate. A newcomer at the end of the line
    /// (no draw key) stands behind every lower id of its round and ahead of every higher one, so the ids between the
    /// copy's last and its own bound the count from above: each is a token that joined since, waiting or not (ids
    /// are never reused; a gap only makes the bound higher). Only those that joined after it and still stand ahead
    /// (an earlier round, from an instance that had not yet seen an opening) are counted, a few rows at most. The
    /// place may then be high by those admitted or gone since the copy was read, never low, for about a second,
    /// as every place may (docs/contract-notes.md).
    /// </summary>
    private async Task<long> JoinedSinceAheadAsync(
        QueueToken token, long maxId, JoinedSince? joined, CancellationToken cancellationToken)
    {
        var (id, round, key) = (token.Id, token.Round, token.DrawKey);
        if (PlacedExactly(token, maxId))
        {
            return joined?.CountAhead(maxId, id, round, key) ?? await db.QueueTokens.Where(InLineFoundByPrimaryKey).LongCountAsync(t =>
                    t.Id > maxId && t.Id != id
                    && (t.Round < round || (t.Round == round && (t.DrawKey < key || (t.DrawKey == key && t.Id < id)))),
                cancellationToken);
        }

        var joinedLaterAhead = joined?.CountJoinedLaterOfEarlierRound(id, round)
            ?? await db.QueueTokens.Where(InLineFoundByPrimaryKey)
                .LongCountAsync(t => t.Id > id && t.Round + 0 < round, cancellationToken);
        return id - maxId - 1 + joinedLaterAhead;
    }

    /// <summary>Whether a token not in the copy read up to <paramref name="maxId"/> is placed by an exact count of
    /// those who joined since, rather than by the upper bound (<see cref="JoinedSinceAheadAsync"/>).</summary>
    public static bool PlacedExactly(QueueToken token, long maxId) => PlacedExactly(token.Id, token.DrawKey, maxId);

    /// <inheritdoc cref="PlacedExactly(QueueToken, long)"/>
    public static bool PlacedExactly(long id, long drawKey, long maxId) =>
        drawKey != QueueToken.NotDrawn || id - maxId - 1 <= CountFromIdsAbove;

    /// <summary>The status from this instance's copy of the line alone, reading no row; null when the copy cannot
    /// tell (it does not hold the token, or this instance moved it since) and the row must.</summary>
    public QueueStatusDto? DescribeFromLine(WaitingLine.KnownToken token, WaitingLine.Snapshot snapshot)
    {
        var now = Now;
        if (token.LastSeenAt + Options.IdleExpiryAfterLastRecordedPoll <= now
            || !line.TryPlace(snapshot, token.Id, out var entry, out var place))
        {
            // Idle by what this instance knows: another may have recorded polls since. Only the row may say.
            return null;
        }

        return entry.Status == QueueTokenStatus.Prequeue
            ? Prequeue(token.Token, token.UserId, snapshot, now)
            : Waiting(token.Token, token.UserId, place + 1, snapshot, now);
    }

    private static QueueStatusDto NotInLine(
        string token, long userId, QueueTokenStatus status, DateTime? activatedAt, DateTime? expiresAt) =>
        new(token, userId, status, null, null, activatedAt, expiresAt, null, null);

    private static QueueStatusDto Prequeue(string token, long userId, WaitingLine.Snapshot snapshot, DateTime now)
    {
        var opensAt = snapshot.Room.PendingDrawId is null ? null : snapshot.Room.OpensAt;
        var wait = opensAt is { } at && at > now ? (int)Math.Min(int.MaxValue, Math.Ceiling((at - now).TotalSeconds)) : 0;
        return new QueueStatusDto(
            token, userId, QueueTokenStatus.Prequeue, null, wait, null, null, opensAt, QueuePosition.PollAfterSeconds(wait));
    }

    private QueueStatusDto Waiting(string token, long userId, long position, WaitingLine.Snapshot snapshot, DateTime now)
    {
        var room = snapshot.Room;
        if (room.Paused)
        {
            return new QueueStatusDto(
                token, userId, QueueTokenStatus.Waiting, position, null, null, null, null, QueuePosition.PausedPollAfterSeconds);
        }

        var rate = room.AdmissionsPerSecond(now, room.MaxActiveTokens, Options.ActiveTokenLifetime);
        var wait = QueuePosition.EstimatedWaitSeconds(position, rate);
        return new QueueStatusDto(
            token, userId, QueueTokenStatus.Waiting, position, wait, null, null, null, QueuePosition.PollAfterSeconds(wait));
    }
}
