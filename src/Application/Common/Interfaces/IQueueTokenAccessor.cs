namespace Concert.Application.Common.Interfaces;

/// <summary>Reads the raw <c>Queue-Token</c> of the current request (the web edge implements it).</summary>
public interface IQueueTokenAccessor
{
    string? RawToken { get; }
}
