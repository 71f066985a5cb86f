namespace Concert.Application.Common.Options;

public sealed class QueueOptions
{
    public const string Section = "Queue";

    public int MaxActiveTokens { get; set; } = 100;

    public TimeSpan AdmissionInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ActiveTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan WaitingTokenIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A waiting token's poll is written down at most this often.</summary>
    public TimeSpan PollRecordInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long after its last <em>recorded</em> poll a waiting token expires: the idle timeout plus the recording
    /// interval, since a poll that was not written down may have come up to that much later. So no client that
    /// polled within <see cref="WaitingTokenIdleTimeout"/> is ever expired; an abandoned one goes within 5–6 min.
    /// </summary>
    public TimeSpan IdleExpiryAfterLastRecordedPoll => WaitingTokenIdleTimeout + PollRecordInterval;

    /// <summary>Expired tokens answer <c>expired</c> at least this long before they may be deleted.</summary>
    public TimeSpan ExpiredTokenRetention { get; set; } = TimeSpan.FromHours(25);

    /// <summary>The window over which the admission rate behind estimated waits is measured.</summary>
    public TimeSpan AdmissionRateWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>One rank signpost every this many waiting tokens: a poll counts at most this many rows.</summary>
    public int RankMarkSpacing { get; set; } = 500;

    /// <summary>How often the worker retakes the rank snapshot. Admissions are corrected for between snapshots;
    /// leavers ahead are not, so a position can be too high by the leavers of at most this long.</summary>
    public TimeSpan RankSnapshotInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an instance answers a waiting token's polls from memory before it counts those ahead
    /// again (never longer than <see cref="WaitingTokenIdleTimeout"/>). Admissions, leavers and expiries reach the
    /// view within about a second in between; this only bounds what a missed one could do. The next
    /// <see cref="MaxActiveTokens"/> places, and any due in within 30 s, are counted on every poll. Zero turns
    /// the view off: every poll reads the database.</summary>
    public TimeSpan PollViewMaxAge { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At most this many waiting tokens in one instance's poll view (about 200 bytes each); polls of the
    /// others read the database.</summary>
    public int PollViewCapacity { get; set; } = 200_000;

    /// <summary>At most this many status streams open on one instance (each holds a connection and a little
    /// memory); beyond it a stream is refused with 429 and the client polls.</summary>
    public int MaxStreamsPerInstance { get; set; } = 10_000;
}
