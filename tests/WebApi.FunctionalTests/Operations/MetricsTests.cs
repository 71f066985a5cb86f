using System.Net;
using Concert.WebApi.FunctionalTests.Infrastructure;

namespace Concert.WebApi.FunctionalTests.Operations;

/// <summary>
/// <c>GET /metrics</c>: Prometheus text, and each of the service's own series moves by exactly one for one event,
/// scraped before and after. A fresh host per test (a cap of one, the clock moved); the scrape is this host's
/// alone, however many other hosts the process runs.
/// </summary>
public sealed class MetricsTests
{
    private const string Joins = "concert_queue_joins_total";
    private const string Admissions = "concert_queue_admissions_total";
    private const string Expiries = "concert_queue_expiries_total";
    private const string Holds = "concert_reservations_holds_total";
    private const string Payments = "concert_payments_total";
    private const string Charges = "concert_balance_charges_total";
    private const string WaitCount = "concert_queue_wait_seconds_count";

    [Fact]
    public async Task Metrics_answers_prometheus_text_with_the_service_meters_and_aspnetcore_s()
    {
        await using var api = await TestApi.StartAsync();
        await api.Client.CreateUserAsync();

        var scrape = await Scrape.TakeAsync(api.Client);

        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", scrape.Text);
        Assert.Contains("# TYPE concert_queue_waiting gauge", scrape.Text);
        Assert.Contains("# TYPE concert_queue_active gauge", scrape.Text);
        Assert.Contains("# TYPE concert_queue_prequeue gauge", scrape.Text);
        Assert.Equal(0, scrape.Value("concert_queue_joins_total"));
        Assert.True(scrape.Value("http_server_request_duration_seconds_count", ("http_request_method", "POST")) >= 1);
        Assert.Contains("# TYPE kestrel_active_connections", scrape.Text);
        // Recorded on every request and watched by nobody during a sale: not exported (Telemetry.AspNetCoreMeters).
        Assert.DoesNotContain("aspnetcore_routing_match_attempts", scrape.Text);
        Assert.DoesNotContain("aspnetcore_authorization_attempts", scrape.Text);
        // Two updates on every request (in, out), on no dashboard: dropped (Telemetry.DroppedInstruments).
        Assert.DoesNotContain("http_server_active_requests", scrape.Text);
    }

    [Fact]
    public async Task A_join_counts_one_join()
    {
        await using var api = await TestApi.StartAsync();
        var userId = await api.Client.CreateUserAsync();
        var before = await Scrape.TakeAsync(api.Client);

        await api.Client.JoinQueueAsync(userId);
        await api.Client.JoinQueueAsync(userId);   // the same live token again: not a join

        var after = await Scrape.TakeAsync(api.Client);
        Assert.Equal(1, after.Value(Joins) - before.Value(Joins));
    }

    [Fact]
    public async Task An_admission_from_the_line_counts_one_admission_and_one_wait()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        var (_, first) = await api.Client.ActiveUserAsync();
        var waiting = await api.Client.JoinQueueAsync(await api.Client.CreateUserAsync("Lee"));
        Assert.Equal("waiting", waiting.GetProperty("status").GetString());
        var before = await Scrape.TakeAsync(api.Client);

        var left = await api.Client.SendWithTokenAsync(HttpMethod.Delete, "/api/queue/tokens/current", first);
        Assert.Equal(HttpStatusCode.NoContent, left.StatusCode);

        var after = await Scrape.TakeAsync(api.Client);
        Assert.Equal(1, after.Value(Admissions) - before.Value(Admissions));
        Assert.Equal(1, after.Value(WaitCount) - before.Value(WaitCount));
        Assert.Equal(1, after.Value(Expiries, ("reason", "left")) - before.Value(Expiries, ("reason", "left")));
        Assert.Equal(0, after.Value(Joins) - before.Value(Joins));
    }

    [Fact]
    public async Task A_hold_won_and_a_hold_lost_count_one_each()
    {
        await using var api = await TestApi.StartAsync();
        var (_, winner) = await api.Client.ActiveUserAsync("Kim");
        var (_, loser) = await api.Client.ActiveUserAsync("Lee");
        var before = await Scrape.TakeAsync(api.Client);

        Assert.Equal(HttpStatusCode.Created, (await api.Client.HoldAsync(winner, seatId: 7)).StatusCode);
        var after = await Scrape.TakeAsync(api.Client);
        await (await api.Client.HoldAsync(loser, seatId: 7)).AssertProblemAsync(409, "seat_unavailable");
        var last = await Scrape.TakeAsync(api.Client);

        Assert.Equal(1, after.Value(Holds, ("outcome", "won")) - before.Value(Holds, ("outcome", "won")));
        Assert.Equal(0, after.Value(Holds, ("outcome", "lost")) - before.Value(Holds, ("outcome", "lost")));
        Assert.Equal(1, last.Value(Holds, ("outcome", "lost")) - after.Value(Holds, ("outcome", "lost")));
        Assert.Equal(0, last.Value(Holds, ("outcome", "won")) - after.Value(Holds, ("outcome", "won")));
    }

    [Fact]
    public async Task A_payment_counts_one_paid_payment_and_one_paid_expiry()
    {
        await using var api = await TestApi.StartAsync();
        var (userId, token) = await api.Client.ActiveUserAsync();
        var beforeCharge = await Scrape.TakeAsync(api.Client);
        await api.Client.ChargeAsync(userId, 200_000);
        var hold = await api.Client.HoldAsync(token, seatId: 3);
        var reservationId = (await hold.JsonAsync()).GetProperty("id").GetInt64();
        var before = await Scrape.TakeAsync(api.Client);

        Assert.Equal(HttpStatusCode.Created, (await api.Client.PayAsync(token, reservationId, key: "order-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.Client.PayAsync(token, reservationId, key: "order-1")).StatusCode); // a replay

        var after = await Scrape.TakeAsync(api.Client);
        Assert.Equal(1, before.Value(Charges, ("outcome", "charged")) - beforeCharge.Value(Charges, ("outcome", "charged")));
        Assert.Equal(1, after.Value(Payments, ("outcome", "paid")) - before.Value(Payments, ("outcome", "paid")));
        Assert.Equal(1, after.Value(Payments) - before.Value(Payments));
        Assert.Equal(1, after.Value(Expiries, ("reason", "paid")) - before.Value(Expiries, ("reason", "paid")));
    }

    [Fact]
    public async Task A_waiting_token_that_idles_out_counts_one_idle_expiry()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        await api.Client.ActiveUserAsync();
        var waiting = await api.Client.JoinQueueAsync(await api.Client.CreateUserAsync("Lee"));
        Assert.Equal("waiting", waiting.GetProperty("status").GetString());
        var before = await Scrape.TakeAsync(api.Client);

        // Idle timeout (5 min) + poll record interval (1 min), well inside the active token's 10-minute window.
        api.Clock.Advance(TimeSpan.FromMinutes(6) + TimeSpan.FromSeconds(1));
        await api.AdmitAsync();

        var after = await Scrape.TakeAsync(api.Client);
        Assert.Equal(1, after.Value(Expiries, ("reason", "idle")) - before.Value(Expiries, ("reason", "idle")));
        Assert.Equal(0, after.Value(Expiries, ("reason", "lifetime")) - before.Value(Expiries, ("reason", "lifetime")));
        Assert.Equal(0, after.Value(Admissions) - before.Value(Admissions));
    }

    [Fact]
    public async Task Queue_gauges_show_what_this_instance_last_saw()
    {
        await using var api = await TestApi.StartAsync(o => o.MaxActiveTokens = 1);
        await api.Client.ActiveUserAsync();
        var second = await api.Client.JoinQueueAsync(await api.Client.CreateUserAsync("Lee"));
        await api.Client.JoinQueueAsync(await api.Client.CreateUserAsync("Park"));
        await api.AdmitAsync();
        await api.ReadLineAsync();   // what the worker or a poll does about once a second

        var scrape = await Scrape.TakeAsync(api.Client);
        Assert.Equal(2, scrape.Value("concert_queue_waiting"));
        Assert.Equal(1, scrape.Value("concert_queue_active"));
        Assert.Equal(0, scrape.Value("concert_queue_prequeue"));
    }

    [Fact]
    public async Task Another_host_in_the_same_process_does_not_move_this_host_s_series()
    {
        await using var api = await TestApi.StartAsync();
        await using var other = await TestApi.StartAsync();
        var before = await Scrape.TakeAsync(api.Client);

        await other.Client.JoinQueueAsync(await other.Client.CreateUserAsync());

        var after = await Scrape.TakeAsync(api.Client);
        var theirs = await Scrape.TakeAsync(other.Client);
        Assert.Equal(0, after.Value(Joins) - before.Value(Joins));
        Assert.Equal(1, theirs.Value(Joins));
    }

    [Fact]
    public async Task With_telemetry_off_there_is_no_metrics_endpoint()
    {
        await using var api = await TestApi.StartAsync(o => o.Settings["Telemetry:Enabled"] = "false");

        await (await api.Client.GetAsync("/metrics")).AssertProblemAsync(404, "route_not_found");
    }
}
