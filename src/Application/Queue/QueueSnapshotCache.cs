using System.Diagnostics;
using Concert.Domain.Queue;

namespace Concert.Application.Queue;

/// <summary>
/// The gate's figures and the rank signposts, kept in memory for at most <see cref="MaxAge"/> so that a poll reads
/// one token row and counts one short stretch instead of also reading these on every request. They change only
/// at admissions and snapshots: this instance drops its copy when it makes either, and another instance's changes
/// show within <see cref="MaxAge"/> (a position may then be high by that second's admissions). The queue gauges
/// read the latest of any age (<see cref="Latest"/>, <see cref="Active"/>).
/// </summary>
public sealed class QueueSnapshotCache
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private Entry? _entry;
    private Snapshot? _latest;
    private long _active;

    public sealed record Snapshot(
        QueueGate Gate,
        long[] MarkTokenIds,
        long[] MarkAhead)
    {
        /// <summary>The nearest signpost at or before <paramref name="tokenId"/>, by binary search.</summary>
        public (long TokenId, long Ahead)? MarkAtOrBefore(long tokenId)
        {
            var index = Array.BinarySearch(MarkTokenIds, tokenId);
            if (index < 0)
            {
                index = ~index - 1;
            }

            return index < 0 ? null : (MarkTokenIds[index], MarkAhead[index]);
        }

        /// <summary>Waiting tokens: those at the snapshot (the last signpost is the last waiting token) less the
        /// admissions since. Joins and leaves since the snapshot (at most a few seconds) are not in it.</summary>
        public long Waiting => MarkAhead.Length == 0
            ? 0
            : Math.Max(0, MarkAhead[^1] + 1 - (Gate.AdmittedTotal - Gate.AdmittedAtSnapshot));

        /// <summary>Tokens in the pre-queue: none until it exists.</summary>
        public long Prequeue => 0;
    }

    public Snapshot? Current =>
        _entry is { } entry && Stopwatch.GetElapsedTime(entry.TakenAt) < MaxAge ? entry.Snapshot : null;

    /// <summary>The last snapshot read, of any age (null before the first): for gauges, never for positions.</summary>
    public Snapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>Active tokens as counted by this instance's last admission pass.</summary>
    public long Active => Interlocked.Read(ref _active);

    public void Set(Snapshot snapshot)
    {
        _entry = new Entry(snapshot, Stopwatch.GetTimestamp());
        Volatile.Write(ref _latest, snapshot);
    }

    public void Invalidate() => _entry = null;

    public void ActiveCounted(long active) => Interlocked.Exchange(ref _active, active);

    private sealed record Entry(Snapshot Snapshot, long TakenAt);
}
