using Concert.Domain.Queue;
using static Concert.Application.Queue.WaitingLine;

namespace Concert.Application.Queue;

/// <summary>A read of the tokens in line (waiting or in a pre-queue) with ids above <paramref name="From"/>: all of them
/// when <paramref name="EarlierThan"/> is <see cref="long.MaxValue"/>, else only those of a round before it.</summary>
public sealed record LineRead(long From, long EarlierThan)
{
    public bool AllRounds => EarlierThan == long.MaxValue;

    /// <summary>
    /// The read as a query of <paramref name="tokens"/>, its one definition: run as it is where the read goes on its
    /// own, or turned into a command sent in the insert's round trip (PostgreSQL). Found by the primary key
    /// (<see cref="QueueService.InLineFoundByPrimaryKey"/>, and <c>Round + 0</c>: no index on the status or the round
    /// serves it); the columns in the order <see cref="LineEntry"/> takes them.
    /// </summary>
    public IQueryable<LineEntry> Query(IQueryable<QueueToken> tokens)
    {
        var (from, earlierThan) = (From, EarlierThan);
        var inLine = tokens.Where(QueueService.InLineFoundByPrimaryKey).Where(t => t.Id > from);
        if (!AllRounds)
        {
            inLine = inLine.Where(t => t.Round + 0 < earlierThan);
        }

        return inLine.Select(t => new LineEntry(t.Id, t.Status, t.Round, t.DrawKey));
    }
}

/// <summary>
/// The tokens in line that a newcomer's place depends on, read once for a whole group commit of joins just after it
/// committed (<see cref="JoinCommits"/>), so that each join in it is placed without a query of its own
/// (<see cref="QueueService.DescribeAsync"/>). Either every token in line above <see cref="LineRead.From"/> (exact), or
/// only those above it of a round before <see cref="LineRead.EarlierThan"/> (what the upper bound of a place needs).
/// Read a moment after the commit, as the query of each join read it a moment after its own.
/// </summary>
public sealed class JoinedSince
{
    private readonly LineRead _read;
    private readonly LineEntry[] _rows;

    private JoinedSince(LineRead read, LineEntry[] rows) => (_read, _rows) = (read, rows);

    /// <summary>What <paramref name="read"/> found.</summary>
    public static JoinedSince Of(LineRead read, LineEntry[] rows) => new(read, rows);

    /// <summary>Of the tokens in line above <paramref name="maxId"/>, how many stand ahead of this key; null when the
    /// rows read cannot tell (not all of them were read).</summary>
    public long? CountAhead(long maxId, long id, long round, long drawKey)
    {
        if (!_read.AllRounds || _read.From > maxId)
        {
            return null;
        }

        var key = new LineEntry(id, QueueTokenStatus.Waiting, round, drawKey);
        long ahead = 0;
        foreach (var row in _rows)
        {
            if (row.Id > maxId && row.Id != id && LineEntry.Compare(row, key) < 0)
            {
                ahead++;
            }
        }

        return ahead;
    }

    /// <summary>Of the tokens in line that joined after <paramref name="id"/>, how many are of an earlier round (and so
    /// stand ahead of it); null when the rows read cannot tell.</summary>
    public long? CountJoinedLaterOfEarlierRound(long id, long round)
    {
        if (_read.From > id || round > _read.EarlierThan)
        {
            return null;
        }

        long ahead = 0;
        foreach (var row in _rows)
        {
            if (row.Id > id && row.Round < round)
            {
                ahead++;
            }
        }

        return ahead;
    }
}
