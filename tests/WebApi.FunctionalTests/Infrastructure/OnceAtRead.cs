using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Concert.WebApi.FunctionalTests.Infrastructure;

/// <summary>
/// Makes an interleaving happen every time: once armed, runs the given change (another request, an admission pass)
/// at the next read outside a transaction whose SQL <paramref name="matches"/>: right after it, while its reader is
/// still open, or (<see cref="Before"/>) just before it is sent, so that the read sees the change.
/// </summary>
public sealed class OnceAtRead(Func<string, bool> matches) : DbCommandInterceptor
{
    private Func<Task>? _change;

    public bool Fired { get; private set; }

    /// <summary>Runs the change just before the read is sent, not after it.</summary>
    public bool Before { get; init; }

    public void Arm(Func<Task> change) => _change = change;

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result,
        CancellationToken cancellationToken = default)
    {
        if (Before)
        {
            await FireAsync(command);
        }

        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (!Before)
        {
            await FireAsync(command);
        }

        return result;
    }

    private async Task FireAsync(DbCommand command)
    {
        if (command.Transaction is null && matches(command.CommandText) && Interlocked.Exchange(ref _change, null) is { } change)
        {
            await change();
            Fired = true;
        }
    }
}
