using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Telemetry;
using Concert.Domain.Queue;
using Mediator;

namespace Concert.Application.Queue.Commands.LeaveQueue;

public sealed record LeaveQueueCommand : ICommand, IRequireQueueToken;

/// <summary>Leaves the queue; an active token's slot goes to the next in line at once.</summary>
public sealed class LeaveQueueCommandHandler(
    IConcertDbContext db, QueueTokenContext context, QueueService queue, WaitingLine line, ConcertMetrics metrics,
    QueueChanges changes)
    : ICommandHandler<LeaveQueueCommand>
{
    public async ValueTask<Unit> Handle(LeaveQueueCommand command, CancellationToken cancellationToken)
    {
        var now = queue.Now;
        var id = context.Token.Id;
        var token = context.Token.Token;

        // Still in line (conditional, so that an admission racing this leave is not taken for a waiting leaver):
        // those behind move up at the next read of the line, on every instance, within a second. This instance's
        // copy stops answering for the token once the write is committed (a copy read before then may hold it).
        var leftLine = metrics.Expired("left", await db.QueueTokens
            .Where(t => t.Id == id && (t.Status == QueueTokenStatus.Waiting || t.Status == QueueTokenStatus.Prequeue))
            .ExpireAsync(now, cancellationToken)) == 1;
        line.MovedHere(id);
        line.Forget(token);
        if (leftLine)
        {
            changes.Pulse();   // the leaver's own stream ends
            return Unit.Value;
        }

        // Active (perhaps admitted a moment ago): its slot goes to the next in line at once.
        var left = metrics.Expired("left", await db.QueueTokens.Where(t => t.Id == id).ExpireAsync(now, cancellationToken));
        if (left == 1)
        {
            await queue.AdmitAsync(cancellationToken);
        }

        changes.Pulse();
        return Unit.Value;
    }
}
