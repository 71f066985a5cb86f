using Concert.Application.Common.Idempotency;
using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Mediator;

namespace Concert.Application.Common.Behaviours;

/// <summary>
/// Answers a retry of a completed idempotent request with its stored outcome before the token's state is
/// checked: the first request may have expired the token, and its retry must still get the same answer.
/// </summary>
public sealed class IdempotencyBehaviour<TMessage, TResponse>(IdempotencyStore store, QueueTokenContext context)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage, IIdempotentRequest
{
    public async ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (message.IdempotencyKey is { } key)
        {
            var replay = await store.FindReplayAsync<TResponse>(context.UserId, key, message.Fingerprint(), cancellationToken);
            if (replay is not null)
            {
                return replay;
            }
        }

        return await next(message, cancellationToken);
    }
}
