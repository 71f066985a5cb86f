using System.Collections.Concurrent;
using System.Diagnostics;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Options;
using Concert.Domain.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Concert.Application.Queue;

/// <summary>
/// This instance's copy of the line: every pre-queue and waiting token in admission order (round, draw key, join
/// order), with the room's settings and figures, read from the database in one pass about once a second (a
/// <see cref="Snapshot"/>). A waiting token's position is its rank in the last copy — a binary search, whatever the
/// line's length or the token's place in it.
/// <para>
/// Why a position is never too low: between two copies the line only shrinks ahead of a token (admission takes the
/// head; leavers and idle tokens drop out), and a newcomer always sorts behind everyone already in it (its round is
/// the latest and its draw key is <see cref="QueueToken.NotDrawn"/>), so a rank read a second ago can only be high.
/// A token the copy does not hold yet (it joined since) is ranked against the copy plus a count of the tokens that
/// joined since the copy, ahead of it.
/// </para>
/// The database stays the authority: the copy only answers polls (and streams); everything that acts on a token
/// reads its row, and admission decides under the room row's lock.
/// </summary>
public sealed class WaitingLine(TimeProvider clock, IOptions<QueueOptions> options)
{
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    // Keyed by the token's 32 random bytes, the facts inline in the dictionary's node: ~90 bytes a token, where the
    // token's text, a record and a node took ~210 (100,000 waiting held 21 MB of them; issue 14's memory target).
    private readonly ConcurrentDictionary<TokenKey, Facts> _known = new();
    // Tokens this instance moved out of line (left, admitted): the copy taken before that may not answer for them.
    private readonly ConcurrentDictionary<long, long> _movedHere = new();
    // Of those, the ones the copy held in line when they moved: the only ones that can stand ahead of anyone in it.
    // Kept apart so that marks for tokens the copy never held (an active user's every gated request) do not use up
    // MovedOutAheadLimit.
    private readonly ConcurrentDictionary<long, long> _movedOutOfCopy = new();
    private Snapshot? _current;
    private TimeSpan _lastLoad;
    private QueueDraw? _drawnCache;
    private long _reads;

    /// <summary>A token's facts that never change (id, user), and its last recorded poll as known here.</summary>
    public sealed record KnownToken(long Id, string Token, long UserId, DateTime LastSeenAt);

    /// <summary>The line as of one read.</summary>
    public sealed class Snapshot
    {
        internal Snapshot(
            QueueGate room, DrawInfo? draw, LineEntry[] line, long maxId, long active, long startedAt, DateTime readAt)
        {
            Room = room;
            Draw = draw;
            Line = line;
            MaxId = maxId;
            Active = active;
            StartedAt = startedAt;
            ReadAt = readAt;
            _ids = new long[line.Length];
            _places = new int[line.Length];
            for (var i = 0; i < line.Length; i++)
            {
                _ids[i] = line[i].Id;
                _places[i] = i;
                if (line[i].Status == QueueTokenStatus.Prequeue)
                {
                    Prequeue++;
                }
            }

            Array.Sort(_ids, _places);
        }

        private readonly long[] _ids;
        private readonly int[] _places;

        /// <summary>The room's row as read (settings, serving figures).</summary>
        public QueueGate Room { get; }

        /// <summary>The pending opening's draw, else the last one held; null before any.</summary>
        public DrawInfo? Draw { get; }

        /// <summary>Pre-queue and waiting tokens in admission order.</summary>
        public LineEntry[] Line { get; }

        /// <summary>The highest token id just before the line was read: every token in line up to it is in the copy.</summary>
        public long MaxId { get; }

        public long Active { get; }

        public long Prequeue { get; }

        public long Waiting => Line.Length - Prequeue;

        internal long StartedAt { get; }

        public DateTime ReadAt { get; }

        /// <summary>The token's entry and its 0-based place in the line, when the copy holds it.</summary>
        public bool TryFind(long tokenId, out LineEntry entry, out int place)
        {
            var index = Array.BinarySearch(_ids, tokenId);
            if (index < 0)
            {
                entry = default;
                place = -1;
                return false;
            }

            place = _places[index];
            entry = Line[place];
            return true;
        }

        /// <summary>How many in the copy stand ahead of a token with this admission key.</summary>
        public int CountAhead(long round, long drawKey, long id)
        {
            var key = new LineEntry(id, QueueTokenStatus.Waiting, round, drawKey);
            int lo = 0, hi = Line.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (LineEntry.Compare(Line[mid], key) < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }

        /// <summary>What a refresh read, in one number: equal numbers, nothing a stream could show has moved.</summary>
        internal int Fingerprint()
        {
            var hash = new HashCode();
            hash.Add(Line.Length);
            hash.Add(Active);
            hash.Add(Room.AdmittedTotal);
            hash.Add(Room.MaxActiveTokens);
            hash.Add(Room.Paused);
            hash.Add(Room.OpensAt);
            hash.Add(Room.PendingDrawId);
            hash.Add(Room.Round);
            foreach (var e in Line)
            {
                hash.Add(e.Id);
                hash.Add(e.Status);
            }

            return hash.ToHashCode();
        }
    }

    /// <summary>One token in line: its id and admission key.</summary>
    public readonly record struct LineEntry(long Id, QueueTokenStatus Status, long Round, long DrawKey)
    {
        public static int Compare(LineEntry a, LineEntry b)
        {
            var c = a.Round.CompareTo(b.Round);
            if (c != 0)
            {
                return c;
            }

            c = a.DrawKey.CompareTo(b.DrawKey);
            return c != 0 ? c : a.Id.CompareTo(b.Id);
        }
    }

    /// <summary>A draw as the room shows it (the seed only once drawn; never the scores).</summary>
    public sealed record DrawInfo(long Id, string Commitment, byte[] Seed, DateTime? DrawnAt, int Total)
    {
        public string? RevealedSeed => DrawnAt is null ? null : QueueDraw.Hex(Seed);
    }

    /// <summary>The last copy read, of any age (null before the first): for gauges, never for positions.</summary>
    public Snapshot? Latest => Volatile.Read(ref _current);

    private QueueOptions Options => options.Value;

    /// <summary>The copy, read again first when it is older than <see cref="QueueOptions.LineReadInterval"/> (or up to twice
    /// that, when reading it takes long). While another request reads it, the older
    /// copy answers.</summary>
    public Task<Snapshot> CurrentAsync(IConcertDbContext db, CancellationToken cancellationToken) =>
        CurrentAsync(new Lazy<IConcertDbContext>(() => db), cancellationToken);

    /// <summary>The copy, as <see cref="CurrentAsync(IConcertDbContext, CancellationToken)"/>; the database context is
    /// taken (from its pool) only when the copy must be read again.</summary>
    public async Task<Snapshot> CurrentAsync(Lazy<IConcertDbContext> db, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        var readEvery = Options.LineReadInterval;
        // A slow read (a long line, a busy database) spaces the next one out so that reading takes at most ~5 % of
        // the time, but never past twice the interval: another instance's changes must still show within a couple
        // of seconds.
        var maxAge = TimeSpan.FromTicks(Math.Clamp((_lastLoad * 20).Ticks, readEvery.Ticks, readEvery.Ticks * 2));
        if (current is not null && Stopwatch.GetElapsedTime(current.StartedAt) < maxAge)
        {
            return current;
        }

        if (current is not null)
        {
            if (!await _refreshing.WaitAsync(0, cancellationToken))
            {
                return current;
            }
        }
        else
        {
            await _refreshing.WaitAsync(cancellationToken);
        }

        try
        {
            current = Volatile.Read(ref _current);
            if (current is not null && Stopwatch.GetElapsedTime(current.StartedAt) < readEvery)
            {
                return current;   // another reader took it while this one waited
            }

            return await ReadAsync(db.Value, cancellationToken);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>Takes a new copy now (after this instance changed the line: an admission, a draw).</summary>
    public async Task<Snapshot> RefreshAsync(IConcertDbContext db, CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            return await ReadAsync(db, cancellationToken);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>Marks the copy stale for a token this instance just moved out of line (left, admitted).</summary>
    public void MovedHere(long tokenId)
    {
        var at = Stopwatch.GetTimestamp();
        _movedHere[tokenId] = at;
        if (Volatile.Read(ref _current) is { } copy && copy.TryFind(tokenId, out _, out _))
        {
            _movedOutOfCopy[tokenId] = at;
        }
    }

    /// <summary>Whether the copy may answer for this token: it holds it, in line, and nothing done here since
    /// the copy was read says otherwise. Its place counts only those still ahead of it as far as this instance
    /// knows: tokens it moved out of line since the copy was read (left, admitted) are not.</summary>
    public bool TryPlace(Snapshot snapshot, long tokenId, out LineEntry entry, out int place)
    {
        if (!snapshot.TryFind(tokenId, out entry, out place)
            || (_movedHere.TryGetValue(tokenId, out var at) && at >= snapshot.StartedAt))
        {
            return false;
        }

        place -= MovedOutAhead(snapshot, place);
        return true;
    }

    /// <summary>How many in the copy stand ahead of this admission key, less those this instance has moved out of line since.</summary>
    public long CountAhead(Snapshot snapshot, long round, long drawKey, long id)
    {
        var ahead = snapshot.CountAhead(round, drawKey, id);
        return ahead - MovedOutAhead(snapshot, ahead);
    }

    /// <summary>Of the first <paramref name="place"/> tokens of the copy, how many this instance moved out of line
    /// after the copy was read: a leave shows to those behind at once here, not at the next read. Only while such
    /// moves are few (a poll must stay cheap); else the next read, within a second, brings them in.</summary>
    private int MovedOutAhead(Snapshot snapshot, int place)
    {
        if (place == 0 || _movedOutOfCopy.IsEmpty || _movedOutOfCopy.Count > MovedOutAheadLimit)
        {
            return 0;
        }

        var moved = 0;
        foreach (var (id, at) in _movedOutOfCopy)
        {
            if (at >= snapshot.StartedAt && snapshot.TryFind(id, out _, out var theirs) && theirs < place)
            {
                moved++;
            }
        }

        return moved;
    }

    private const int MovedOutAheadLimit = 64;

    public bool TryKnown(string token, out KnownToken known)
    {
        if (TokenKey.TryOf(token, out var key) && _known.TryGetValue(key, out var facts))
        {
            known = new KnownToken(facts.Id, token, facts.UserId, facts.LastSeenAt);
            return true;
        }

        known = null!;
        return false;
    }

    /// <summary>Remembers a token read from its row (bounded: beyond the capacity, polls read the row).</summary>
    public KnownToken Remember(QueueToken token)
    {
        var known = new KnownToken(token.Id, token.Token, token.UserId, token.LastSeenAt);
        if (!TokenKey.TryOf(token.Token, out var key))
        {
            return known;   // not a value this service issues: never held, its polls read the row
        }

        if (token.IsInLine && (_known.Count < Options.PollViewCapacity || _known.ContainsKey(key)))
        {
            _known[key] = new Facts(token.Id, token.UserId, token.LastSeenAt);
        }
        else if (!token.IsInLine)
        {
            _known.TryRemove(key, out _);
        }

        return known;
    }

    /// <summary>A poll was written down at <paramref name="at"/>.</summary>
    public void Seen(string token, DateTime at)
    {
        if (TokenKey.TryOf(token, out var key) && _known.TryGetValue(key, out var facts) && at > facts.LastSeenAt)
        {
            _known.TryUpdate(key, facts with { LastSeenAt = at }, facts);
        }
    }

    public void Forget(string token)
    {
        if (TokenKey.TryOf(token, out var key))
        {
            _known.TryRemove(key, out _);
        }
    }

    private readonly record struct Facts(long Id, long UserId, DateTime LastSeenAt);

    /// <summary>A queue token's value as the 32 bytes it encodes (<see cref="QueueToken.NewTokenValue"/>: 43
    /// base64url characters). Only the canonical text has a key, so exactly one string finds an entry, as the
    /// database's string comparison would.</summary>
    private readonly record struct TokenKey(ulong A, ulong B, ulong C, ulong D)
    {
        private const int Length = 43;

        public static bool TryOf(string token, out TokenKey key)
        {
            key = default;
            if (token.Length != Length)
            {
                return false;
            }

            // Checked before decoding: the decoder throws on a character outside the alphabet (a client's header can
            // hold anything), and it would skip whitespace.
            foreach (var c in token)
            {
                if (Base64UrlValue(c) < 0)
                {
                    return false;
                }
            }

            // The last character carries 2 bits of padding, zero in the canonical text.
            if ((Base64UrlValue(token[Length - 1]) & 0b11) != 0)
            {
                return false;
            }

            Span<byte> bytes = stackalloc byte[32];
            if (!System.Buffers.Text.Base64Url.TryDecodeFromChars(token, bytes, out var written) || written != 32)
            {
                return false;
            }

            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes);
            key = new TokenKey(words[0], words[1], words[2], words[3]);
            return true;
        }

        private static int Base64UrlValue(char c) => c switch
        {
            >= 'A' and <= 'Z' => c - 'A',
            >= 'a' and <= 'z' => c - 'a' + 26,
            >= '0' and <= '9' => c - '0' + 52,
            '-' => 62,
            '_' => 63,
            _ => -1,
        };
    }

    /// <summary>A drawn draw with its scores, read once per instance (it never changes after the draw).</summary>
    public async Task<QueueDraw?> DrawnAsync(IConcertDbContext db, long drawId, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _drawnCache) is { } cached && cached.Id == drawId)
        {
            return cached;
        }

        var draw = await db.QueueDraws.AsNoTracking().SingleOrDefaultAsync(d => d.Id == drawId, cancellationToken);
        if (draw is { IsDrawn: true })
        {
            Volatile.Write(ref _drawnCache, draw);
        }

        return draw;
    }

    private static void ForgetMovesBefore(ConcurrentDictionary<long, long> moves, long startedAt)
    {
        foreach (var (id, at) in moves)
        {
            if (at < startedAt)
            {
                moves.TryRemove(new KeyValuePair<long, long>(id, at));
            }
        }
    }

    /// <summary>
    /// The tokens in line, unsorted, in an array of exactly their number. Read into an array the size of the last
    /// copy, which a line is close to a second later: at 100,000 waiting, reading through a growing list and copying
    /// it out allocated ~12 MB of large objects per read (every second or two), and those allocations are what set off
    /// the GC's background collections of the whole heap; this allocates the one array when the line kept its length,
    /// one more when it did not.
    /// </summary>
    private static async Task<LineEntry[]> ReadLineAsync(IConcertDbContext db, int expected, CancellationToken cancellationToken)
    {
        var line = new LineEntry[Math.Max(expected, 16)];
        var count = 0;
        var rows = db.QueueTokens.AsNoTracking()
            .Where(t => t.Status == QueueTokenStatus.Waiting || t.Status == QueueTokenStatus.Prequeue)
            .Select(t => new LineEntry(t.Id, t.Status, t.Round, t.DrawKey))
            .AsAsyncEnumerable();
        await foreach (var entry in rows.WithCancellation(cancellationToken))
        {
            if (count == line.Length)
            {
                Array.Resize(ref line, line.Length + Math.Max(line.Length / 8, 1024));
            }

            line[count++] = entry;
        }

        if (count != line.Length)
        {
            Array.Resize(ref line, count);
        }

        return line;
    }

    private async Task<Snapshot> ReadAsync(IConcertDbContext db, CancellationToken cancellationToken)
    {
        var startedAt = Stopwatch.GetTimestamp();
        var now = clock.GetUtcNow().UtcDateTime;
        var room = await db.QueueGates.AsNoTracking().SingleAsync(g => g.Id == QueueGate.SingletonId, cancellationToken);
        var drawId = room.PendingDrawId ?? (room.Round > 0 ? room.Round : null);
        var draw = drawId is null
            ? null
            : await db.QueueDraws.AsNoTracking()
                .Where(d => d.Id == drawId)
                .Select(d => new DrawInfo(d.Id, d.Commitment, d.Seed, d.DrawnAt, d.Total))
                .SingleOrDefaultAsync(cancellationToken);
        // Before the line: every token up to here that is in line is in this copy (one that joined after may be
        // in both, and is then counted twice for a later joiner: high, never low).
        var maxId = await db.QueueTokens.MaxAsync(t => (long?)t.Id, cancellationToken) ?? 0;
        var line = await ReadLineAsync(db, Volatile.Read(ref _current)?.Line.Length ?? 0, cancellationToken);
        var active = await db.QueueTokens.LongCountAsync(QueueTokenUpdates.ActiveAt(now), cancellationToken);
        Array.Sort(line, LineEntry.Compare);
        var snapshot = new Snapshot(room, draw, line, maxId, active, startedAt, now);
        Volatile.Write(ref _current, snapshot);
        _lastLoad = Stopwatch.GetElapsedTime(startedAt);
        ForgetMovesBefore(_movedHere, startedAt);   // this copy already shows them
        ForgetMovesBefore(_movedOutOfCopy, startedAt);

        if (++_reads % 10 == 0)
        {
            // Tokens remembered here that have left the line (admitted, expired) answer from their row from now on.
            foreach (var (key, facts) in _known)
            {
                if (facts.Id <= maxId && !snapshot.TryFind(facts.Id, out _, out _))
                {
                    _known.TryRemove(new KeyValuePair<TokenKey, Facts>(key, facts));
                }
            }
        }

        return snapshot;
    }
}
