using System.Data.Common;
using Concert.Domain.Queue;
using Concert.Infrastructure.Persistence;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Concert.WebApi.FunctionalTests.Reservations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// The interleaving behind the flaky <see cref="QueueConcurrencyTests"/> race, made to happen every time: admission
/// has read the next waiting token and is about to activate it when that token leaves. The slot must still go to
/// the one after it, at once. PostgreSQL only: on SQLite the gate lock holds every writer off, so a leave cannot
/// commit inside an admission there.
/// </summary>
public sealed class AdmissionLeaveRaceTests
{
    [Fact]
    public async Task A_token_leaving_between_admissions_read_and_write_does_not_cost_the_slot()
    {
        if (TestDatabase.ConfiguredProvider != "Postgres")
        {
            Assert.Skip("SQLite serialises every writer behind the gate lock: this interleaving cannot happen there.");
        }

        var pause = new LeaveBeforeActivation();
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Services.Add(s => s.ConfigureDbContext<PostgresConcertDbContext>(b => b.AddInterceptors(pause)));
        });
        var holder = (await api.Client.NewUserJoinsAsync()).Status.Token();
        var next = (await api.Client.NewUserJoinsAsync()).Status.Token();
        var after = (await api.Client.NewUserJoinsAsync()).Status.Token();
        pause.Arm(() => api.CreateClient().LeaveQueueAsync(next));

        var left = await api.Client.LeaveQueueAsync(holder);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, left.StatusCode);
        Assert.True(pause.Fired, "admission never reached its write");
        var rows = await api.TokensAsync();
        Assert.Equal(QueueTokenStatus.Expired, rows.Single(r => r.Token == next).Status);
        var active = Assert.Single(rows, r => r.Status == QueueTokenStatus.Active);
        Assert.Equal(after, active.Token);
    }

    /// <summary>Once armed, runs the given leave just before the next admission write (UPDATE … SET Status = Active).</summary>
    private sealed class LeaveBeforeActivation : DbCommandInterceptor
    {
        private Func<Task<HttpResponseMessage>>? _leave;

        public bool Fired { get; private set; }

        public void Arm(Func<Task<HttpResponseMessage>> leave) => _leave = leave;

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("\"ActivatedAt\" =", StringComparison.Ordinal)
                && Interlocked.Exchange(ref _leave, null) is { } leave)
            {
                var response = await leave();
                Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
                Fired = true;
            }

            return result;
        }
    }
}
