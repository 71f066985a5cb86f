using System.Data.Common;
using Concert.Infrastructure.Persistence;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// An admission pass (the worker's, another join's) may let a new token in between its insert and its join looking
/// for a free slot. The join must then say "active", as its row does, not count its own token as the slot taken and
/// say "waiting". Made to happen every time: the pass runs right after the join's commit.
/// </summary>
public sealed class JoinAdmittedMeanwhileTests
{
    [Fact]
    public async Task A_join_let_in_by_a_concurrent_admission_pass_is_told_it_is_active()
    {
        var admit = new AfterJoinCommit();
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Services.Add(s => s.ConfigureDbContext<SqliteConcertDbContext>(b => b.AddInterceptors(admit)));
            o.Services.Add(s => s.ConfigureDbContext<PostgresConcertDbContext>(b => b.AddInterceptors(admit)));
        });
        admit.Arm(async () => Assert.Equal(1, await api.AdmitAsync()));

        var (_, status) = await api.Client.NewUserJoinsAsync();

        Assert.True(admit.Fired, "no admission pass ran between the join's commit and its answer");
        QueueReads.AssertActive(status, api.Clock.GetUtcNow());
    }

    /// <summary>Once armed, runs the given pass right after the next read a group commit of joins makes once committed
    /// (rows in line found by the primary key: <c>"Status" + 0</c>, outside a transaction).</summary>
    private sealed class AfterJoinCommit : DbCommandInterceptor
    {
        private Func<Task>? _pass;

        public bool Fired { get; private set; }

        public void Arm(Func<Task> pass) => _pass = pass;

        public override async ValueTask<DbDataReader> ReaderExecutedAsync(
            DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (command.Transaction is null && command.CommandText.Contains("\"Status\" + 0", StringComparison.Ordinal)
                && !command.CommandText.Contains("COUNT(", StringComparison.OrdinalIgnoreCase)
                && Interlocked.Exchange(ref _pass, null) is { } pass)
            {
                await pass();
                Fired = true;
            }

            return result;
        }
    }
}
