using System.Diagnostics;
using Concert.Application.Common.Telemetry;
using Concert.Domain.Common;
using Mediator;

namespace Concert.Application.Common.Behaviours;

/// <summary>One span per message, around the rest of the pipeline and its handler, so a trace shows the use case
/// between the HTTP request and its database calls. Outermost. Nothing is allocated when nobody listens.</summary>
public sealed class TracingBehaviour<TMessage, TResponse> : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    private static readonly string Name = typeof(TMessage).Name;

    public ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken) =>
        ConcertTracing.Source.HasListeners() ? TracedAsync(message, next, cancellationToken) : next(message, cancellationToken);

    private static async ValueTask<TResponse> TracedAsync(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        using var activity = ConcertTracing.Source.StartActivity(Name);
        try
        {
            return await next(message, cancellationToken);
        }
        catch (DomainException e) when (activity is not null)
        {
            // An answer the contract expects (404, 409, …): not a fault of the service, but worth seeing.
            activity.SetTag("concert.error.code", e.Code);
            throw;
        }
        catch (Exception e) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            activity.AddException(e);
            throw;
        }
    }
}
