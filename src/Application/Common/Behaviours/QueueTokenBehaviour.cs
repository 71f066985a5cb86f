using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Application.Queue;
using Concert.Domain.Common;
using Concert.Domain.Queue;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Concert.Application.Common.Behaviours;

/// <summary>
/// Resolves the request's <c>Queue-Token</c> once: missing → 401 queue_token_missing, unknown or another user's → 401
/// queue_token_invalid. The token's state is checked later, by <see cref="ActiveQueueTokenBehaviour{TMessage,TResponse}"/>,
/// so that an idempotent replay can be answered in between, as the contract orders the checks. A poll
/// (<see cref="IMayUseQueueTokenView"/>) of a token this instance already knows (<see cref="WaitingLine"/>) reads no row.
/// </summary>
public sealed class QueueTokenBehaviour<TMessage, TResponse>(
    IQueueTokenAccessor accessor, ICurrentUser caller, Lazy<IConcertDbContext> db, QueueTokenContext context, WaitingLine line)
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
        if (message is IMayUseQueueTokenView && line.TryKnown(raw, out var known))
        {
            if (known.UserId != callerId)
            {
                throw Errors.QueueTokenInvalid();
            }

            context.SetKnown(known);
            return await next(message, cancellationToken);
        }

        var token = raw.Length <= MaxTokenLength
            ? await db.Value.QueueTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Token == raw, cancellationToken)
            : null;
        // Another user's token is as good as an unknown one: a queue token acts only for the user it was issued to.
        if (token is null || token.UserId != callerId)
        {
            throw Errors.QueueTokenInvalid();
        }

        if (!token.IsInLine)
        {
            // Admitted or expired, as the row says: this instance's copy of the line (up to a second old) must not
            // answer this token's next poll as still waiting.
            line.MovedHere(token.Id);
        }

        context.Set(token, message is IMayUseQueueTokenView ? line.Remember(token) : KnownOf(token));
        return await next(message, cancellationToken);
    }

    private static WaitingLine.KnownToken KnownOf(QueueToken token) =>
        new(token.Id, token.Token, token.UserId, token.LastSeenAt);
}
