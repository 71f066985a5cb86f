using Concert.Domain.Queue;
using Concert.Infrastructure.Workers;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>The background admission worker, on its own: no test calls <c>AdmitAsync</c> here.</summary>
public sealed class QueueWorkerTests
{
    [Fact]
    public async Task The_worker_refills_a_slot_freed_by_time_without_a_manual_admission_pass()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Workers = true;
            o.AdmissionInterval = TimeSpan.FromMilliseconds(50);
            o.Settings["Queue:ActiveTokenLifetime"] = "00:01:00"; // shorter than the idle timeout: the waiter stays
        });
        Assert.Contains(api.Services.GetServices<IHostedService>(), s => s is QueueAdmissionWorker);
        var (_, first) = await api.Client.NewUserJoinsAsync();
        var (_, second) = await api.Client.NewUserJoinsAsync();
        Assert.Equal("waiting", second.State());

        // Nothing frees the slot but time: no leave, no AdmitAsync. Only the worker can admit the waiting token.
        api.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var status = await api.Client.StatusAsync(second.Token());
        while (status.State() != "active" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            status = await api.Client.StatusAsync(second.Token());
        }

        Assert.Equal("active", status.State());
        QueueReads.AssertActive(status, api.Clock.GetUtcNow(), TimeSpan.FromMinutes(1));
        QueueReads.AssertExpired(await api.Client.StatusAsync(first.Token()));
        var rows = await api.TokensAsync();
        Assert.Equal([QueueTokenStatus.Expired, QueueTokenStatus.Active], rows.Select(r => r.Status));
    }

    [Fact]
    public async Task Without_workers_nothing_is_admitted_until_an_admission_pass_runs()
    {
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Settings["Queue:ActiveTokenLifetime"] = "00:01:00";
        });
        Assert.DoesNotContain(api.Services.GetServices<IHostedService>(), s => s is QueueAdmissionWorker or SweepWorker);
        await api.Client.NewUserJoinsAsync();
        var (_, second) = await api.Client.NewUserJoinsAsync();
        api.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        Assert.Equal(QueueTokenStatus.Waiting, (await api.TokensAsync())[1].Status);
        Assert.Equal(1, await api.AdmitAsync());

        QueueReads.AssertActive(await api.Client.StatusAsync(second.Token()), api.Clock.GetUtcNow(), TimeSpan.FromMinutes(1));
    }
}
