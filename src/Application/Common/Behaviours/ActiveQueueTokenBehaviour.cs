using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Common.Options;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Mediator;
using Microsoft.Extensions.Options;

namespace Concert.Application.Common.Behaviours;

/// <summary>Lets only an active token through: 403 queue_token_waiting or queue_token_expired otherwise.</summary>
public sealed class ActiveQueueTokenBehaviour<TMessage, TResponse>(
    QueueTokenContext context, TimeProvider clock, IOptions<QueueOptions> options)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage, IRequireActiveQueueToken
{
    public ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return context.Token.StatusAt(now, options.Value.IdleExpiryAfterLastRecordedPoll) switch
        {
            QueueTokenStatus.Active => next(message, cancellationToken),
            QueueTokenStatus.Waiting or QueueTokenStatus.Prequeue => throw Errors.QueueTokenWaiting(),
            _ => throw Errors.QueueTokenExpired(),
        };
    }
}
