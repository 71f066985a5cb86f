using Concert.Application.Common.Telemetry;
using Concert.Domain.Common;
using Mediator;

namespace Concert.Application.Common.Behaviours;

/// <summary>Counts how a measured use case ended (<see cref="IMeasuredOutcome"/>): success, or the domain error's
/// code. Innermost, so only attempts that reached the handler count (not 400/401/403, nor idempotent replays).</summary>
public sealed class OutcomeMetricsBehaviour<TMessage, TResponse>(ConcertMetrics metrics)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage, IMeasuredOutcome
{
    public async ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        TResponse response;
        try
        {
            response = await next(message, cancellationToken);
        }
        catch (DomainException e)
        {
            metrics.Outcome(message, e.Code);
            throw;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.Outcome(message, "error");
            throw;
        }

        metrics.Outcome(message, null);
        return response;
    }
}
