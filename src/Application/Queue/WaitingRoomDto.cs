using Concert.Domain.Queue;

namespace Concert.Application.Queue;

/// <summary>The room as everyone may see it; counts from this instance's last read of the line (about a second old).</summary>
public sealed record WaitingRoomDto(
    WaitingRoomState State,
    DateTime? OpensAt,
    int MaxActiveTokens,
    long ActiveCount,
    long WaitingCount,
    long PrequeueCount,
    WaitingRoomDrawDto? Draw)
{
    public static WaitingRoomDto From(WaitingLine.Snapshot snapshot, DateTime now)
    {
        var room = snapshot.Room;
        return new WaitingRoomDto(
            room.StateAt(now),
            room.PendingDrawId is null ? null : room.OpensAt,
            room.MaxActiveTokens,
            snapshot.Active,
            snapshot.Waiting,
            snapshot.Prequeue,
            snapshot.Draw is { } draw ? new WaitingRoomDrawDto(draw.Commitment, draw.RevealedSeed, draw.DrawnAt) : null);
    }
}

/// <summary>The current opening's draw: its commitment from the start, its seed and time once drawn.</summary>
public sealed record WaitingRoomDrawDto(string Commitment, string? Seed, DateTime? DrawnAt);

/// <summary>A page of the draw's scores, in admission order.</summary>
public sealed record DrawDto(string Commitment, string? Seed, DateTime? DrawnAt, int Total, IReadOnlyList<string> Scores);
