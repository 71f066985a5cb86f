using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Telemetry;
using Concert.Domain.Queue;
using Mediator;

namespace Concert.Application.Queue.Commands.LeaveQueue;

public sealed record LeaveQueueCommand : ICommand, IRequireQueueToken;

/// <summary>Leaves the queue; an active token's slot goes to the next in line at once.</summary>
public sealed class LeaveQueueCommandHandler(
    IConcertDbContext db, QueueTokenContext context, QueueService queue, QueueTokenView view, ConcertMetrics metrics, QueueChanges changes)
    : ICommandHandler<LeaveQueueCommand>
{
    public async ValueTask<Unit> Handle(LeaveQueueCommand command, CancellationToken cancellationToken)
    {
        var now = queue.Now;
        var id = context.Token.Id;
        var token = context.Token.Token;

        // Still waiting (conditional, so that an admission racing this leave is not taken for a waiting leaver):
        // those behind move up in this instance's view at once; other instances learn it within a second.
        var sequence = view.NextSequence();
        if (metrics.Expired("left", await db.QueueTokens.Where(t => t.Id == id && t.Status == QueueTokenStatus.Waiting)
                .ExpireAsync(now, cancellationToken)) == 1)
        {
            view.LeftHere(id, token, now, sequence);
            changes.Pulse();   // the leaver's own stream ends, and those behind it move up
            return Unit.Value;
        }

        // Active (perhaps admitted a moment ago): its slot goes to the next in line at once.
        var left = metrics.Expired("left", await db.QueueTokens.Where(t => t.Id == id).ExpireAsync(now, cancellationToken));
        view.Evict(token);
        if (left == 1)
        {
            await queue.AdmitAsync(cancellationToken);
        }

        changes.Pulse();
        return Unit.Value;
    }
}
