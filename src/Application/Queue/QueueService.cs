using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Application.Common.Telemetry;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue;

/// <summary>
/// The waiting room's moving parts: admission (FIFO up to the cap, decided under the gate row's lock so that any
/// number of instances admit one at a time), the rank snapshot behind cheap positions, and status descriptions.
/// </summary>
public sealed class QueueService(
    IConcertDbContext db,
    TimeProvider clock,
    IOptions<QueueOptions> options,
    ILogger<QueueService> logger,
    QueueSnapshotCache snapshots,
    QueueTokenView view,
    ConcertMetrics metrics,
    QueueChanges changes)
{
    /// <summary>How far back each view refresh looks for expiries, beyond its previous one: covers transactions
    /// that stamped their time before the previous refresh but committed after it (a write may wait up to the
    /// SQLite busy timeout, 30 s, for the lock), and clock skew between instances.</summary>
    private static readonly TimeSpan ExpiryLookback = TimeSpan.FromSeconds(35);

    /// <summary>A waiting token due in within this long is counted on every poll, never answered from the view.</summary>
    public static readonly TimeSpan NearHeadWait = TimeSpan.FromSeconds(30);

    private QueueOptions Options => options.Value;

    public DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Expires lapsed tokens, then activates the oldest waiting ones into the free slots. Returns how many were
    /// admitted. Safe to run from every instance at once: the gate lock serialises the decisions.
    /// </summary>
    public async Task<int> AdmitAsync(CancellationToken cancellationToken)
    {
        List<string> admittedTokens = [];
        List<DateTime> joinedAt = [];
        (int Idle, int Lifetime) expired = default;
        var activeAfter = 0;
        var now = Now;
        var admitted = await db.InTransactionAsync(async ct =>
        {
            admittedTokens.Clear();   // a retried transaction starts over
            joinedAt.Clear();
            var gate = await db.LockQueueGateAsync(ct);
            now = Now;   // after the lock: expiries stamped here commit within moments (see RefreshViewAsync)
            expired = await ExpireLapsedAsync(now, ct);

            var active = await db.QueueTokens.CountAsync(t => t.Status == QueueTokenStatus.Active, ct);
            activeAfter = active;
            var free = Options.MaxActiveTokens - active;
            if (free <= 0)
            {
                return 0;
            }

            // Conditional on still waiting: leaving the queue takes no gate lock, so a token read as waiting may have
            // left before the write. A blind write would bring it back as active without its LiveUserId (a slot lost
            // for a whole lifetime, and room for the user's second live token). And a token that left in between
            // freed nothing (it was waiting), so its leave admits nobody: read the line again for the slot it would
            // have taken, or that slot stays empty until the next admission pass (seen on PostgreSQL, where a
            // leave commits between this read and write; on SQLite the gate lock already holds every writer off).
            DateTime? activatedAt = now;
            DateTime? expiresAt = now + Options.ActiveTokenLifetime;
            var activated = 0;
            while (activated < free)
            {
                var chosen = await db.QueueTokens
                    .Where(t => t.Status == QueueTokenStatus.Waiting)
                    .OrderBy(t => t.Id)
                    .Take(free - activated)
                    .Select(t => new { t.Id, t.Token, t.IssuedAt })
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
                admittedTokens.AddRange(chosen.Select(t => t.Token));
                joinedAt.AddRange(chosen.Select(t => t.IssuedAt));
                activated += written;
                if (written == chosen.Count)
                {
                    break;   // nobody left in between: the line is shorter than the free slots, or they are full
                }
            }

            activeAfter = active + activated;
            if (activated > 0)
            {
                gate.RecordAdmissions(activated, now, Options.AdmissionRateWindow);
            }

            await db.SaveChangesAsync(ct);
            return activated;
        }, cancellationToken);

        metrics.Expired("idle", expired.Idle);
        metrics.Expired("lifetime", expired.Lifetime);
        metrics.Admitted(admitted, joinedAt, now);
        snapshots.ActiveCounted(activeAfter);
        if (admitted > 0)
        {
            snapshots.Invalidate();
            view.Evict(admittedTokens);
            changes.Pulse();
            logger.LogInformation("Admitted {Count} waiting tokens", admitted);
        }

        return admitted;
    }

    /// <summary>Whether a slot is free right now (a cheap count of at most the cap's rows).</summary>
    public async Task<bool> HasFreeSlotAsync(CancellationToken cancellationToken)
    {
        var now = Now;
        var active = await db.QueueTokens.CountAsync(
            t => t.Status == QueueTokenStatus.Active && t.ExpiresAt > now, cancellationToken);
        return active < Options.MaxActiveTokens;
    }

    /// <summary>Retakes the rank snapshot when the last one is older than <see cref="QueueOptions.RankSnapshotInterval"/>.</summary>
    public async Task RefreshRankMarksIfDueAsync(CancellationToken cancellationToken)
    {
        var takenAt = await db.QueueGates.AsNoTracking()
            .Where(g => g.Id == QueueGate.SingletonId)
            .Select(g => g.SnapshotAt)
            .SingleAsync(cancellationToken);
        if (takenAt is null || Now - takenAt.Value >= Options.RankSnapshotInterval)
        {
            await RefreshRankMarksAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Takes a new rank snapshot: a signpost every <see cref="QueueOptions.RankMarkSpacing"/> waiting tokens, with
    /// the serving counter at that moment. Under the gate lock, so no admission slips between the two.
    /// </summary>
    public Task RefreshRankMarksAsync(CancellationToken cancellationToken) =>
        db.InTransactionAsync(async ct =>
        {
            var gate = await db.LockQueueGateAsync(ct);
            var rows = await db.WaitingRankMarksAsync(Options.RankMarkSpacing, ct);
            await db.QueueRankMarks.ExecuteDeleteAsync(ct);
            db.QueueRankMarks.AddRange(rows.Select(r => QueueRankMark.Create(r.Id, r.Ahead)));
            gate.RecordSnapshot(Now);
            await db.SaveChangesAsync(ct);
            snapshots.Invalidate();
            return rows.Count;
        }, cancellationToken);

    /// <summary>Writes down what time has already decided: active tokens past their window, idle waiting ones.
    /// Returns the rows expired for each reason (the caller counts them once its transaction commits).</summary>
    public Task<(int Idle, int Lifetime)> ExpireLapsedAsync(DateTime now, CancellationToken cancellationToken) =>
        db.QueueTokens.ExpireLapsedAsync(now, now - Options.IdleExpiryAfterLastRecordedPoll, cancellationToken);

    /// <summary>Reads the gate and signposts (and refreshes the view) when this instance's copy is older than a second:
    /// what keeps the queue gauges and open streams moving on an instance no poll keeps fresh. Free when fresh.</summary>
    public async Task RefreshSnapshotIfStaleAsync(CancellationToken cancellationToken) =>
        await SnapshotAsync(cancellationToken);

    /// <summary>Deletes tokens expired longer ago than the retention; they answer 401 from then on.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var before = Now - Options.ExpiredTokenRetention;
        return await db.QueueTokens
            .Where(t => t.Status == QueueTokenStatus.Expired && t.ExpiredAt < before)
            .ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>The status a client sees. A waiting token's position costs two indexed look-ups and a count of at
    /// most one signpost stretch, whatever the queue's length; the result is kept in this instance's
    /// <see cref="QueueTokenView"/> so that the token's next polls read nothing.</summary>
    public async Task<QueueStatusDto> DescribeAsync(QueueToken token, CancellationToken cancellationToken)
    {
        var now = Now;
        var status = token.StatusAt(now, Options.IdleExpiryAfterLastRecordedPoll);
        if (status != QueueTokenStatus.Waiting)
        {
            return NotWaiting(token, status);
        }

        var snapshot = await SnapshotAsync(cancellationToken);
        var gate = snapshot.Gate;
        var mark = snapshot.MarkAtOrBefore(token.Id);
        var from = mark?.TokenId ?? 0;
        var between = await db.QueueTokens.LongCountAsync(
            t => t.Status == QueueTokenStatus.Waiting && t.Id >= from && t.Id < token.Id, cancellationToken);
        var position = QueuePosition.Compute(
            mark?.Ahead ?? 0, mark is null ? 0 : gate.AdmittedTotal - gate.AdmittedAtSnapshot, between);
        if (view.MaxAge > TimeSpan.Zero)
        {
            // The serving counter as of now, after the count: admissions the (up to a second old) snapshot missed
            // are either already out of the live count or still in the signpost's figure, so they must not be
            // subtracted later — storing an older counter would subtract them twice and show a place too low.
            var admittedAfter = await db.QueueGates.AsNoTracking()
                .Where(g => g.Id == QueueGate.SingletonId)
                .Select(g => g.AdmittedTotal)
                .SingleAsync(cancellationToken);
            view.Put(token, position - 1, Math.Max(admittedAfter, gate.AdmittedTotal));
        }

        return Waiting(token, position, gate, now);
    }

    /// <summary>
    /// The status from this instance's view, reading no row: the count of those ahead less the admissions since.
    /// Null when the view cannot tell — the admissions since the count reach the token, or the refresh made here
    /// evicted it (admitted or expired meanwhile) — or should not — the token is near the head — and the caller
    /// must read the row and count.
    /// </summary>
    public async Task<QueueStatusDto?> TryDescribeFromViewAsync(
        QueueToken token, QueueTokenView.Entry entry, CancellationToken cancellationToken)
    {
        var now = Now;
        if (token.StatusAt(now, Options.IdleExpiryAfterLastRecordedPoll) != QueueTokenStatus.Waiting)
        {
            // Idle by the remembered row: another instance may have recorded polls since. Only the row may say.
            return null;
        }

        var snapshot = await SnapshotAsync(cancellationToken);
        var ahead = entry.AheadAfter(snapshot.Gate.AdmittedTotal, view.LeftAheadSince(entry));
        if (ahead < 0 || !view.Holds(entry))
        {
            return null;
        }

        // Near the head a place matters most: the next cap's worth of tokens, and any due in within
        // NearHeadWait, are counted afresh on every poll (a bounded few per second), whatever the view holds.
        var described = Waiting(token, ahead + 1, snapshot.Gate, now);
        return ahead + 1 <= Options.MaxActiveTokens || described.EstimatedWaitSeconds <= NearHeadWait.TotalSeconds
            ? null
            : described;
    }

    private static QueueStatusDto NotWaiting(QueueToken token, QueueTokenStatus status) =>
        new(token.Token, token.UserId, status, null, null, token.ActivatedAt, token.ExpiresAt, null);

    private QueueStatusDto Waiting(QueueToken token, long position, QueueGate gate, DateTime now)
    {
        var rate = gate.AdmissionsPerSecond(now, Options.MaxActiveTokens, Options.ActiveTokenLifetime);
        var wait = QueuePosition.EstimatedWaitSeconds(position, rate);
        return new QueueStatusDto(
            token.Token, token.UserId, QueueTokenStatus.Waiting, position, wait, null, null,
            QueuePosition.PollAfterSeconds(wait));
    }

    /// <summary>
    /// Brings the <see cref="QueueTokenView"/> up to date with the database: evicts every token now active and every
    /// one expired since the previous refresh (less <see cref="ExpiryLookback"/>), whichever instance changed it, and
    /// tells it which of those expired while waiting (they no longer stand ahead of anyone).
    /// Two indexed reads of at most the active cap and the recent expiries; runs with each snapshot read, so at most
    /// about once a second per instance, and only while the view holds anything.
    /// </summary>
    /// <returns>A fingerprint of what it read (the active tokens, the recent expiries): equal fingerprints, nothing
    /// new for this instance's streams.</returns>
    public async Task<int> RefreshViewAsync(CancellationToken cancellationToken)
    {
        var startedAt = Now;
        var seen = 0;
        if (!view.IsEmpty)
        {
            var expiredSince = (view.RefreshedAt ?? startedAt) - ExpiryLookback;
            var active = await db.QueueTokens.AsNoTracking()
                .Where(t => t.Status == QueueTokenStatus.Active)
                .Select(t => t.Token)
                .ToListAsync(cancellationToken);
            var expired = await db.QueueTokens.AsNoTracking()
                .Where(t => t.Status == QueueTokenStatus.Expired && t.ExpiredAt >= expiredSince)
                .Select(t => new { t.Id, t.Token, t.ExpiredAt, WasWaiting = t.ActivatedAt == null })
                .ToListAsync(cancellationToken);
            view.Evict(active);
            view.Evict(expired.Select(t => t.Token));
            view.Expired(expired.Where(t => t.WasWaiting).Select(t => (t.Id, t.ExpiredAt!.Value)));
            seen = HashCode.Combine(
                active.Count, active.Sum(t => (long)string.GetHashCode(t, StringComparison.Ordinal)),
                expired.Count, expired.Sum(t => t.Id));
        }

        view.PruneIfDue();

        view.RefreshedAt = startedAt;
        return seen;
    }


    private async Task<QueueSnapshotCache.Snapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        if (snapshots.Current is { } cached)
        {
            return cached;
        }

        // The gate and the signposts are two reads: if the gate changed between them (a new snapshot, say), the
        // pair may not match and admissions could be subtracted twice; read again (bounded) until it holds still.
        QueueGate gate;
        List<QueueRankMark> marks;
        var attempts = 0;
        do
        {
            gate = await db.QueueGates.AsNoTracking().SingleAsync(g => g.Id == QueueGate.SingletonId, cancellationToken);
            marks = await db.QueueRankMarks.AsNoTracking().OrderBy(m => m.TokenId).ToListAsync(cancellationToken);
        }
        while (++attempts < 5 && await db.QueueGates.AsNoTracking()
                   .Where(g => g.Id == QueueGate.SingletonId)
                   .Select(g => g.Version)
                   .SingleAsync(cancellationToken) != gate.Version);

        var snapshot = new QueueSnapshotCache.Snapshot(
            gate,
            marks.Select(m => m.TokenId).ToArray(),
            marks.Select(m => m.Ahead).ToArray());
        var seen = await RefreshViewAsync(cancellationToken);
        snapshots.Set(snapshot);
        // Streams look again only when something they could show moved: a quiet second wakes nobody.
        changes.PulseIfChanged(HashCode.Combine(gate.AdmittedTotal, gate.SnapshotAt, seen));
        return snapshot;
    }
}
