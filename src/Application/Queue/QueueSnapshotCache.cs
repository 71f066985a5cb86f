using System.Diagnostics;
using Concert.Domain.Queue;

namespace Concert.Application.Queue;

/// <summary>
/// The gate's figures and the rank signposts, kept in memory for at most <see cref="MaxAge"/> so that a poll reads
/// one token row and counts one short stretch instead of also reading these on every request. They change only
/// at admissions and snapshots: this instance drops its copy when it makes either, and another instance's changes
/// show within <see cref="MaxAge"/> (a position may then be high by that second's admissions).
/// </summary>
public sealed class QueueSnapshotCache
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private Entry? _entry;

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
    }

    public Snapshot? Current =>
        _entry is { } entry && Stopwatch.GetElapsedTime(entry.TakenAt) < MaxAge ? entry.Snapshot : null;

    public void Set(Snapshot snapshot) => _entry = new Entry(snapshot, Stopwatch.GetTimestamp());

    public void Invalidate() => _entry = null;

    private sealed record Entry(Snapshot Snapshot, long TakenAt);
}
