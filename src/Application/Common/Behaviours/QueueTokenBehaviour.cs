using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Queue;
using Concert.Domain.Common;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Common.Behaviours;

/// <summary>
/// Resolves the request's <c>Queue-Token</c> once: missing → 401 queue_token_missing, unknown or another user's → 401
/// queue_token_invalid. The token's state is checked later, by <see cref="ActiveQueueTokenBehaviour{TMessage,TResponse}"/>,
/// so that an idempotent replay can be answered in between, as the contract orders the checks. A poll
/// (<see cref="IMayUseQueueTokenView"/>) of a token this instance already holds in its <see cref="QueueTokenView"/>
/// reads no row.
/// </summary>
public sealed class QueueTokenBehaviour<TMessage, TResponse>(
    IQueueTokenAccessor accessor, ICurrentUser caller, IConcertDbContext db, QueueTokenContext context, QueueTokenView view)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage, IRequireQueueToken
{
    private const int MaxTokenLength = 128;

    public async ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var raw = accessor.RawToken;
        if (string.IsNullOrWhiteSpace(raw))
        {
            throw Errors.QueueTokenMissing();
        }

        var callerId = caller.RequireId();
        if (message is IMayUseQueueTokenView && view.TryGet(raw, out var viewed))
        {
            if (viewed.UserId != callerId)
            {
                throw Errors.QueueTokenInvalid();
            }

            context.Set(viewed.ToToken(), viewed);
            return await next(message, cancellationToken);
        }

        var token = raw.Length <= MaxTokenLength
            ? await db.QueueTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Token == raw, cancellationToken)
            : null;
        // Another user's token is as good as an unknown one: a queue token acts only for the user it was issued to.
        context.Set(token is not null && token.UserId == callerId ? token : throw Errors.QueueTokenInvalid());
        return await next(message, cancellationToken);
    }
}
