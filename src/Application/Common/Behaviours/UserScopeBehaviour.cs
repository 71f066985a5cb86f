using Concert.Application.Common.Interfaces;
using Concert.Application.Common.Messaging;
using Concert.Domain.Common;
using Mediator;

namespace Concert.Application.Common.Behaviours;

/// <summary>
/// The one place the rule "a <c>{userId}</c> in the path is the caller's own" lives: anyone else's id answers
/// 404 user_not_found, exactly as an id nobody has, so a caller learns nothing about other users.
/// </summary>
public sealed class UserScopeBehaviour<TMessage, TResponse>(ICurrentUser caller) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage, IUserScopedRequest
{
    public ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken) =>
        message.UserId == caller.RequireId() ? next(message, cancellationToken) : throw Errors.UserNotFound();
}
