using System.Text.Json;
using Concert.Application.Queue;
using Concert.Infrastructure.Persistence;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// Polls of waiting tokens are answered from each instance's copy of the line (WaitingLine): these pin down that
/// they really are, that the database stays the authority for everything else, and that another instance's
/// admissions and leavers reach that copy within about a second.
/// </summary>
public sealed class QueuePollViewTests
{
    private const string Gated = "/api/concerts/1/schedules";

    /// <summary>One active user, then <paramref name="waiting"/> waiting ones, all joined through <paramref name="api"/>.</summary>
    private static async Task<List<string>> LineAsync(TestApi api, int waiting)
    {
        var tokens = new List<string>();
        for (var i = 0; i <= waiting; i++)
        {
            tokens.Add((await api.Client.NewUserJoinsAsync()).Status.Token());
        }

        return tokens;
    }

    /// <summary>One slot; the instance keeps its copy of the line until the test says (a copy otherwise lives a second).</summary>
    private static Task<TestApi> StartKeepingTheCopyAsync() => TestApi.StartAsync(o =>
    {
        o.MaxActiveTokens = 1;
        o.Settings["Queue:LineReadInterval"] = "01:00:00";
    });

    /// <summary>Polls until <paramref name="done"/> holds (the view refreshes about once a second, up to twice that
    /// when reads are slow); fails with the last answer after 60 s, a bound only a hang reaches.</summary>
    private static async Task<JsonElement> PollUntilAsync(HttpClient client, string token, Func<JsonElement, bool> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var status = await client.StatusAsync(token);
            if (done(status))
            {
                return status;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the poll never showed the change; last answer: {status}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_waiting_tokens_poll_is_answered_from_memory_while_gated_requests_read_the_row()
    {
        await using var api = await StartKeepingTheCopyAsync();
        var line = await LineAsync(api, 3);
        await api.ReadLineAsync();
        QueueReads.AssertWaiting(await api.Client.StatusAsync(line[3]), position: 3);

        // The row goes (as no client could make it go): only this instance's memory still knows the token.
        await api.InScopeAsync(sp => sp.GetRequiredService<ConcertDbContext>().QueueTokens
            .Where(t => t.Token == line[3]).ExecuteDeleteAsync());

        QueueReads.AssertWaiting(await api.Client.StatusAsync(line[3]), position: 3);
        await (await api.Client.SendWithTokenAsync(HttpMethod.Get, Gated, line[3])).AssertProblemAsync(401, "queue_token_invalid");
        await (await api.Client.SendWithTokenAsync(HttpMethod.Delete, "/api/queue/tokens/current", line[3])).AssertProblemAsync(401, "queue_token_invalid");

        // Once the line is read again, the copy no longer holds it and the poll reads the row.
        await api.ReadLineAsync();
        await (await api.Client.SendWithTokenAsync(HttpMethod.Get, "/api/queue/tokens/current", line[3])).AssertProblemAsync(401, "queue_token_invalid");
    }

    [Fact]
    public async Task A_newcomer_after_a_burst_of_joins_is_placed_high_never_low_and_exactly_once_the_line_is_read()
    {
        await using var api = await StartKeepingTheCopyAsync();
        // More joins since the copy was read (at the first one's admission) than a newcomer's place counts exactly.
        var burst = QueueService.CountFromIdsAbove + 20;
        var line = await LineAsync(api, burst);
        foreach (var token in line.Skip(1).Take(10))
        {
            await api.Client.LeaveAsync(token);
        }

        var (_, newcomer) = await api.Client.NewUserJoinsAsync();

        var exact = burst - 10 + 1;
        Assert.InRange(newcomer.GetProperty("position").GetInt64(), exact, burst + 1);   // high by those who left, never low
        await api.ReadLineAsync();
        QueueReads.AssertWaiting(await api.Client.StatusAsync(newcomer.Token()), position: exact);
    }

    [Fact]
    public async Task A_leave_made_here_moves_those_behind_up_at_once_without_reading_the_line_again()
    {
        await using var api = await StartKeepingTheCopyAsync();
        var line = await LineAsync(api, 3);
        await api.ReadLineAsync();
        QueueReads.AssertWaiting(await api.Client.StatusAsync(line[2]), position: 2);

        await api.Client.LeaveAsync(line[1]);

        // The copy was read before the leave and is not read again: this instance knows the token left.
        QueueReads.AssertWaiting(await api.Client.StatusAsync(line[2]), position: 1);
        QueueReads.AssertWaiting(await api.Client.StatusAsync(line[3]), position: 2);
        QueueReads.AssertExpired(await api.Client.StatusAsync(line[1]));
    }

    [Fact]
    public async Task Another_instances_admission_shows_as_active_within_a_second()
    {
        await using var first = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        await using var second = await first.StartSiblingAsync(o => o.MaxActiveTokens = 1);
        var line = await LineAsync(first, 4);
        QueueReads.AssertWaiting(await first.Client.StatusAsync(line[3]), position: 3);
        QueueReads.AssertWaiting(await first.Client.StatusAsync(line[4]), position: 4);

        await second.SetRoomAsync(room => room.SetCap(4));   // an operator raises the cap
        Assert.Equal(3, await second.AdmitAsync());

        QueueReads.AssertActive(await PollUntilAsync(first.Client, line[3], s => s.State() == "active"), first.Clock.GetUtcNow());
        QueueReads.AssertWaiting(await PollUntilAsync(first.Client, line[4], s => s.Position() == 1), position: 1);
    }

    [Fact]
    public async Task Another_instances_leaver_moves_those_behind_up_within_a_second()
    {
        await using var first = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        await using var second = await first.StartSiblingAsync(o => o.MaxActiveTokens = 1);
        var line = await LineAsync(first, 6);
        QueueReads.AssertWaiting(await first.Client.StatusAsync(line[6]), position: 6);
        QueueReads.AssertWaiting(await first.Client.StatusAsync(line[3]), position: 3);

        // Later than the count by more than the clock-skew allowance (one clock here; production clocks differ).
        first.Clock.Advance(TimeSpan.FromSeconds(2));
        await second.Client.LeaveAsync(line[2]);

        QueueReads.AssertWaiting(await PollUntilAsync(first.Client, line[6], s => s.Position() == 5), position: 5);
        QueueReads.AssertWaiting(await first.Client.StatusAsync(line[3]), position: 2);
        QueueReads.AssertExpired(await PollUntilAsync(first.Client, line[2], s => s.State() == "expired"));
        // Nobody ahead of the leaver moved.
        QueueReads.AssertWaiting(await first.Client.StatusAsync(line[1]), position: 1);
    }

    [Fact]
    public async Task A_leaver_through_this_instance_is_expired_at_once_and_those_behind_move_up_within_a_second()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var line = await LineAsync(api, 5);
        QueueReads.AssertWaiting(await api.Client.StatusAsync(line[5]), position: 5);

        await api.Client.LeaveAsync(line[3]);
        await api.Client.LeaveAsync(line[2]);

        QueueReads.AssertExpired(await api.Client.StatusAsync(line[3]));
        QueueReads.AssertWaiting(await PollUntilAsync(api.Client, line[5], s => s.Position() == 3), position: 3);
        QueueReads.AssertWaiting(await api.Client.StatusAsync(line[4]), position: 2);
    }
}
