using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Domain.Queue;
using Mediator;

namespace Concert.Application.Queue.Commands.LeaveQueue;

public sealed record LeaveQueueCommand : ICommand, IRequireQueueToken;

/// <summary>Leaves the queue; an active token's slot goes to the next in line at once.</summary>
public sealed class LeaveQueueCommandHandler(
    IConcertDbContext db, QueueTokenContext context, QueueService queue, QueueTokenView view)
    : ICommandHandler<LeaveQueueCommand>
{
    public async ValueTask<Unit> Handle(LeaveQueueCommand command, CancellationToken cancellationToken)
    {
        var now = queue.Now;
        var wasActive = context.Token.Status == QueueTokenStatus.Active;
        var sequence = view.NextSequence();
        var left = await db.QueueTokens.Where(t => t.Id == context.Token.Id).ExpireAsync(now, cancellationToken);
        if (left == 1 && context.Token.Status == QueueTokenStatus.Waiting)
        {
            // Those behind it move up in this instance's view at once; other instances learn it within a second.
            view.LeftHere(context.Token.Id, now, sequence);
        }
        else
        {
            view.Evict(context.Token.Id);
        }
        if (left == 1 && wasActive)
        {
            await queue.AdmitAsync(cancellationToken);
        }

        return Unit.Value;
    }
}
