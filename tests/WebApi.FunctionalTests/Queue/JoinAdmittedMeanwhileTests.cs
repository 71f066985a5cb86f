using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// An admission pass (the worker's, another join's) may let a new token in between its insert and its join looking
/// for a free slot. The join must then say "active", as its row does, not count its own token as the slot taken and
/// say "waiting". Made to happen every time: the pass runs after the join's commit, just before its count of the
/// active tokens (the room is empty, so the join counts them).
/// </summary>
public sealed class JoinAdmittedMeanwhileTests
{
    [Fact]
    public async Task A_join_let_in_by_a_concurrent_admission_pass_is_told_it_is_active()
    {
        // The join's count of active tokens but its own (the admission pass counts inside its transaction).
        var admit = new OnceAtRead(sql => sql.Contains("COUNT(*)", StringComparison.OrdinalIgnoreCase)
                                          && sql.Contains("\"Id\" <> ", StringComparison.Ordinal))
        {
            Before = true,
        };
        await using var api = await TestApi.StartAsync(o =>
        {
            o.MaxActiveTokens = 1;
            o.Intercept(admit);
        });
        admit.Arm(async () => Assert.Equal(1, await api.AdmitAsync()));

        var (_, status) = await api.Client.NewUserJoinsAsync();

        Assert.True(admit.Fired, "no admission pass ran between the join's commit and its count");
        QueueReads.AssertActive(status, api.Clock.GetUtcNow());
    }
}
