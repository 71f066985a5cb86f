using System.Collections.Concurrent;
using Concert.Application.Common.Options;
using Concert.Domain.Queue;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue;

/// <summary>
/// This instance's memory of the waiting tokens it has described, so that a poll of a waiting token is answered
/// without reading the database. An entry keeps the token's row and how many waited ahead of it when that was
/// counted; the place now is that count less the admissions since (the gate's serving counter: admission is FIFO,
/// so every one was ahead) and less the waiting tokens ahead that expired since (leavers, idled out), which
/// <see cref="QueueService.RefreshViewAsync"/> reads about once a second from any instance's writes. A waiting token
/// leaves that state only by admission or expiry, and the same refresh evicts every such token, so the view trails
/// the database by about a second; a count is retaken after <see cref="MaxAge"/> at the latest, bounding what any
/// missed change could do. Doubtful cases always err high: a leaver is subtracted only when it certainly left after
/// the count it corrects.
/// The database stays the authority: only polls (<see cref="Common.Messaging.IMayUseQueueTokenView"/>) read this
/// view; every request that acts on a token reads its row.
/// </summary>
public sealed class QueueTokenView(TimeProvider clock, IOptions<QueueOptions> options)
{
    /// <summary>How much another instance's clock may run ahead of this one's: its expiry times are taken as this
    /// much earlier before they are compared with a count made here.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(1);

    // One map, keyed by the token; an entry is a struct stored in the map's node, so each remembered token costs the
    // garbage collector two objects (that node and the token string), not five: with 100,000 remembered tokens the
    // background GC's marking otherwise slowed the whole process by about 15 %.
    private readonly ConcurrentDictionary<string, Entry> _byToken = new(StringComparer.Ordinal);
    private readonly Lock _leaversLock = new();
    private Leaver[] _leavers = [];   // sorted by Id; replaced whole (readers take the array without locking)
    private long _sequence;
    private long _prunedAtTicks = clock.GetUtcNow().UtcTicks;
    private long _refreshedAtTicks;

    /// <param name="TokenId">The token's id (its join order).</param>
    /// <param name="Token">The token itself (the map's key).</param>
    /// <param name="UserId">Its user.</param>
    /// <param name="IssuedAt">When it was issued.</param>
    /// <param name="LastSeenAt">Its last recorded poll as known here.</param>
    /// <param name="Ahead">Waiting tokens ahead of it by the count.</param>
    /// <param name="AdmittedTotal">The gate's serving counter read after the count (admissions in between are
    /// then never subtracted twice: at worst the place is high).</param>
    /// <param name="CountedAt">When the count had finished (this instance's clock).</param>
    /// <param name="Sequence">This view's event order when the count had finished.</param>
    public readonly record struct Entry(
        long TokenId, string Token, long UserId, DateTime IssuedAt, DateTime LastSeenAt,
        long Ahead, long AdmittedTotal, DateTime CountedAt, long Sequence)
    {
        /// <summary>The waiting token as remembered: a new object for each caller.</summary>
        public QueueToken ToToken() => QueueToken.RestoreWaiting(TokenId, Token, UserId, IssuedAt, LastSeenAt);

        /// <summary>Those ahead after <paramref name="admittedTotal"/> admissions in all and
        /// <paramref name="leftSince"/> leavers ahead since the count; negative when the admissions since reach
        /// this token (it may be active: the view cannot tell).</summary>
        public long AheadAfter(long admittedTotal, long leftSince = 0) =>
            Ahead - Math.Max(0, admittedTotal - AdmittedTotal) - leftSince;
    }

    /// <summary>A waiting token that expired (left or idled out). <paramref name="Sequence"/> orders a leave made
    /// through this instance against counts made here; null for one learnt from the database.</summary>
    private readonly record struct Leaver(long Id, DateTime At, long? Sequence);

    /// <summary>How long a count is reused: <see cref="QueueOptions.PollViewMaxAge"/>, and never longer than the
    /// idle timeout, so that another instance's recorded polls can never make a stale entry look idle.</summary>
    public TimeSpan MaxAge
    {
        get
        {
            var o = options.Value;
            return o.PollViewMaxAge < o.WaitingTokenIdleTimeout ? o.PollViewMaxAge : o.WaitingTokenIdleTimeout;
        }
    }

    public int Count => _byToken.Count;

    public bool IsEmpty => _byToken.IsEmpty;

    /// <summary>When <see cref="QueueService.RefreshViewAsync"/> last started (UTC); null before the first.</summary>
    public DateTime? RefreshedAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _refreshedAtTicks);
            return ticks == 0 ? null : new DateTime(ticks, DateTimeKind.Utc);
        }
        set => Interlocked.Exchange(ref _refreshedAtTicks, value?.Ticks ?? 0);
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>A point in this view's event order: take it before a leave, and after a count.</summary>
    public long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>The entry of <paramref name="token"/> when there is one younger than <see cref="MaxAge"/>.</summary>
    public bool TryGet(string token, out Entry entry)
    {
        if (_byToken.TryGetValue(token, out var found))
        {
            if (Now - found.CountedAt < MaxAge)
            {
                entry = found;
                return true;
            }

            Remove(token, found);
        }

        entry = default;
        return false;
    }

    /// <summary>Whether <paramref name="entry"/>'s count is still the current one (not evicted or recounted since).</summary>
    public bool Holds(Entry entry) =>
        _byToken.TryGetValue(entry.Token, out var current) && current.Sequence == entry.Sequence;

    /// <summary>Remembers a waiting token's count, made before the serving counter read <paramref name="admittedTotal"/>.
    /// Ignored for any other status, and when the view is full or off.</summary>
    public void Put(QueueToken token, long ahead, long admittedTotal)
    {
        if (token.Status != QueueTokenStatus.Waiting || MaxAge <= TimeSpan.Zero)
        {
            return;
        }

        if (_byToken.Count >= options.Value.PollViewCapacity && !_byToken.ContainsKey(token.Token))
        {
            return;
        }

        _byToken[token.Token] = new Entry(
            token.Id, token.Token, token.UserId, token.IssuedAt, token.LastSeenAt, ahead, admittedTotal, Now, NextSequence());
    }

    /// <summary>A poll of <paramref name="token"/> was written down at <paramref name="at"/>: the entry keeps it.</summary>
    public void Seen(QueueToken token, DateTime at)
    {
        if (_byToken.TryGetValue(token.Token, out var entry) && at > entry.LastSeenAt)
        {
            _byToken.TryUpdate(token.Token, entry with { LastSeenAt = at }, entry);
        }
    }

    public void Evict(string token) => _byToken.TryRemove(token, out _);

    public void Evict(IEnumerable<string> tokens)
    {
        foreach (var token in tokens)
        {
            Evict(token);
        }
    }

    /// <summary>A waiting token left through this instance: <paramref name="sequence"/> was taken before its row
    /// was written, so every count made here before that moment included it.</summary>
    public void LeftHere(long tokenId, string token, DateTime at, long sequence)
    {
        Evict(token);
        if (!_byToken.IsEmpty)   // an empty view has no count to correct, and later counts cannot include it
        {
            AddLeavers([new Leaver(tokenId, at, sequence)]);
        }
    }

    /// <summary>Waiting tokens that expired, as the database says (any instance's leave or idle sweep), with the
    /// times their expiry was stamped — before it was committed.</summary>
    public void Expired(IEnumerable<(long Id, DateTime At)> leavers)
    {
        if (!_byToken.IsEmpty)
        {
            AddLeavers(leavers.Select(l => new Leaver(l.Id, l.At - ClockSkewAllowance, null)));
        }
    }

    /// <summary>
    /// How many waiting tokens ahead of the entry's token certainly expired after its count finished (so the count
    /// included them): a leave through this instance by its sequence, another instance's by its stamped time less
    /// the skew allowance. A leave that may have overlapped the count is not subtracted (the place errs high).
    /// </summary>
    public long LeftAheadSince(Entry entry)
    {
        var leavers = Volatile.Read(ref _leavers);
        var id = entry.TokenId;
        long left = 0;
        for (var i = 0; i < leavers.Length && leavers[i].Id < id; i++)
        {
            var leaver = leavers[i];
            if (leaver.Sequence is { } sequence ? sequence > entry.Sequence : leaver.At > entry.CountedAt)
            {
                left++;
            }
        }

        return left;
    }

    /// <summary>Drops entries past <see cref="MaxAge"/> (tokens nobody polls here any more) and leavers older than
    /// any entry, at most once per <see cref="MaxAge"/>, so the view holds what is being polled.</summary>
    public void PruneIfDue()
    {
        var now = Now;
        var prunedAt = Interlocked.Read(ref _prunedAtTicks);
        if (now.Ticks - prunedAt < MaxAge.Ticks
            || Interlocked.CompareExchange(ref _prunedAtTicks, now.Ticks, prunedAt) != prunedAt)
        {
            return;
        }

        foreach (var (token, entry) in _byToken)
        {
            if (now - entry.CountedAt >= MaxAge)
            {
                Remove(token, entry);
            }
        }

        var horizon = now - MaxAge - ClockSkewAllowance;
        lock (_leaversLock)
        {
            Volatile.Write(ref _leavers, _leavers.Where(l => l.At > horizon).ToArray());
        }
    }

    private void Remove(string token, Entry entry) => _byToken.TryRemove(new KeyValuePair<string, Entry>(token, entry));

    private void AddLeavers(IEnumerable<Leaver> leavers)
    {
        lock (_leaversLock)
        {
            var known = _leavers.Select(l => l.Id).ToHashSet();
            var added = leavers.Where(l => known.Add(l.Id)).ToList();
            if (added.Count > 0)
            {
                Volatile.Write(ref _leavers, _leavers.Concat(added).OrderBy(l => l.Id).ToArray());
            }
        }
    }
}
