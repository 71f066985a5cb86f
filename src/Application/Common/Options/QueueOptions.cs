namespace Concert.Application.Common.Options;

public sealed class QueueOptions
{
    public const string Section = "Queue";

    /// <summary>The room's cap when this database first starts; operators change it live from then on
    /// (<c>PATCH /api/admin/waiting-room</c>), and the database's value wins over this one.</summary>
    public int MaxActiveTokens { get; set; } = 100;

    /// <summary>Whether admission starts paused, the first time this database starts (then as operators set it).</summary>
    public bool Paused { get; set; }

    /// <summary>An opening to schedule the first time this database starts, if it is still in the future then.</summary>
    public DateTime? OpensAt { get; set; }

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

    /// <summary>How often an instance reads the line again (its copy answers polls, streams and the room's counts
    /// meanwhile). Reading takes longer as the line grows; the copy is then read at most a tenth of the time.</summary>
    public TimeSpan LineReadInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many tokens in line remembered by one instance (their id and user, about 90 bytes
    /// each) so that their polls read no row; polls of the others read their row.</summary>
    public int PollViewCapacity { get; set; } = 200_000;

    /// <summary>At most this many status streams open on one instance (each holds a connection and a little
    /// memory); beyond it a stream is refused with 429 and the client polls.</summary>
    public int MaxStreamsPerInstance { get; set; } = 10_000;
}
