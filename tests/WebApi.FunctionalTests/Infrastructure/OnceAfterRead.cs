using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Concert.WebApi.FunctionalTests.Infrastructure;

/// <summary>
/// Makes an interleaving happen every time: once armed, runs the given change (another request, an admission pass)
/// right after the next read outside a transaction whose SQL <paramref name="matches"/>, while its reader is still open.
/// </summary>
public sealed class OnceAfterRead(Func<string, bool> matches) : DbCommandInterceptor
{
    private Func<Task>? _change;

    public bool Fired { get; private set; }

    public void Arm(Func<Task> change) => _change = change;

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (command.Transaction is null && matches(command.CommandText) && Interlocked.Exchange(ref _change, null) is { } change)
        {
            await change();
            Fired = true;
        }

        return result;
    }
}
