using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Concert.WebApi.FunctionalTests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Concert.WebApi.FunctionalTests.Queue;

/// <summary>
/// The waiting room through its endpoints, with a fake clock: operators' live controls, a scheduled opening whose
/// pre-queue is drawn once in the published, checkable order, and what fans are told on the way.
/// </summary>
public sealed class WaitingRoomTests
{
    private const string Room = "/api/waiting-room";
    private const string Draw = "/api/waiting-room/draw";
    private const string Admin = "/api/admin/waiting-room";
    internal const string OperatorEmail = "ops@example.com";
    internal const string OperatorPassword = "operator password";

    private static Task<TestApi> StartAsync(int cap) => TestApi.StartAsync(o =>
    {
        o.MaxActiveTokens = cap;
        o.Settings["Admin:Email"] = OperatorEmail;
        o.Settings["Admin:Password"] = OperatorPassword;
        o.Settings["Queue:WaitingTokenIdleTimeout"] = "02:00:00";   // fans keep polling while the clock jumps
    });

    /// <summary>The operator signs in; returns their user id (requests sent <c>.As(id)</c> carry their bearer).</summary>
    internal static async Task<long> OperatorAsync(TestApi api)
    {
        var bearer = await api.Client.SignInAsync(OperatorEmail, OperatorPassword);
        return long.Parse(new JsonWebToken(bearer).Subject, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<HttpResponseMessage> PatchAsync(TestApi api, long asUser, object body) =>
        await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, Admin) { Content = JsonContent.Create(body) }.As(asUser));

    private static async Task<JsonElement> ChangeAsync(TestApi api, long operatorId, object body)
    {
        var response = await PatchAsync(api, operatorId, body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var room = await response.JsonAsync();
        AssertRoomShape(room);
        return room;
    }

    private static async Task<JsonElement> RoomAsync(TestApi api) =>
        await (await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Room).Anonymously())).JsonAsync();

    private static async Task<HttpResponseMessage> DrawAsync(TestApi api, string query = "") =>
        await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Draw + query).Anonymously());

    private static void AssertRoomShape(JsonElement room)
    {
        Assert.Equal(
            new[] { "activeCount", "draw", "maxActiveTokens", "opensAt", "prequeueCount", "state", "waitingCount" },
            room.EnumerateObject().Select(p => p.Name).Order());
        if (room.GetProperty("draw").ValueKind == JsonValueKind.Object)
        {
            Assert.Equal(new[] { "commitment", "drawnAt", "seed" }, room.GetProperty("draw").EnumerateObject().Select(p => p.Name).Order());
        }
    }

    private static string Score(string seedHex, string token) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(seedHex), Encoding.UTF8.GetBytes(token)));

    private static async Task<(long UserId, JsonElement Status)> FanJoinsAsync(TestApi api)
    {
        var userId = await api.Client.CreateUserAsync();
        var (code, status) = await api.Client.JoinAsync(userId);
        Assert.Equal(HttpStatusCode.Created, code);
        return (userId, status);
    }

    [Fact]
    public async Task Only_operators_change_the_room_and_everyone_may_read_it()
    {
        await using var api = await StartAsync(cap: 100);
        var fan = await api.Client.CreateUserAsync();

        var anonymous = new HttpRequestMessage(HttpMethod.Patch, Admin) { Content = JsonContent.Create(new { paused = true }) }.Anonymously();
        await (await api.Client.SendAsync(anonymous)).AssertProblemAsync(401, "unauthenticated");
        await (await PatchAsync(api, fan, new { paused = true })).AssertProblemAsync(403, "forbidden");
        await (await PatchAsync(api, fan, new { maxActiveTokens = "lots" })).AssertProblemAsync(403, "forbidden");

        var room = await RoomAsync(api);
        AssertRoomShape(room);
        Assert.Equal("open", room.GetProperty("state").GetString());
        Assert.Equal(100, room.GetProperty("maxActiveTokens").GetInt32());
        Assert.Equal(JsonValueKind.Null, room.GetProperty("opensAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, room.GetProperty("draw").ValueKind);
        await (await DrawAsync(api)).AssertProblemAsync(404, "draw_not_found");

        var changed = await ChangeAsync(api, await OperatorAsync(api), new { maxActiveTokens = 7, paused = true });
        Assert.Equal("paused", changed.GetProperty("state").GetString());
        Assert.Equal(7, changed.GetProperty("maxActiveTokens").GetInt32());
        Assert.Equal("paused", (await RoomAsync(api)).GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("{\"maxActiveTokens\":0}")]
    [InlineData("{\"maxActiveTokens\":100001}")]
    [InlineData("{\"maxActiveTokens\":\"5\"}")]
    [InlineData("{\"maxActiveTokens\":2.5}")]
    [InlineData("{\"paused\":\"yes\"}")]
    [InlineData("{\"opensAt\":\"tomorrow\"}")]
    public async Task A_malformed_change_is_400_and_changes_nothing(string body)
    {
        await using var api = await StartAsync(cap: 100);
        var ops = await OperatorAsync(api);

        var request = new HttpRequestMessage(HttpMethod.Patch, Admin) { Content = new StringContent(body, Encoding.UTF8, "application/json") }.As(ops);
        await (await api.Client.SendAsync(request)).AssertProblemAsync(400, "validation_failed");

        var room = await RoomAsync(api);
        Assert.Equal(100, room.GetProperty("maxActiveTokens").GetInt32());
        Assert.Equal("open", room.GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_opening_in_the_past_is_409_and_the_draw_pages_are_checked()
    {
        await using var api = await StartAsync(cap: 100);
        var ops = await OperatorAsync(api);

        await (await PatchAsync(api, ops, new { opensAt = api.Clock.GetUtcNow().UtcDateTime })).AssertProblemAsync(409, "opening_in_past");
        await (await PatchAsync(api, ops, new { opensAt = api.Clock.GetUtcNow().UtcDateTime.AddMinutes(-5) })).AssertProblemAsync(409, "opening_in_past");
        await ChangeAsync(api, ops, new { opensAt = api.Clock.GetUtcNow().UtcDateTime.AddMinutes(5) });

        foreach (var query in new[] { "?limit=0", "?limit=1001", "?limit=x", "?offset=-1", "?offset=1.5" })
        {
            await (await DrawAsync(api, query)).AssertProblemAsync(400, "validation_failed");
        }

        var draw = await (await DrawAsync(api, "?offset=0&limit=1000")).JsonAsync();
        Assert.Equal(JsonValueKind.Null, draw.GetProperty("seed").ValueKind);
        Assert.Equal(JsonValueKind.Null, draw.GetProperty("drawnAt").ValueKind);
        Assert.Equal(0, draw.GetProperty("total").GetInt32());
        Assert.Empty(draw.GetProperty("scores").EnumerateArray());
        Assert.Matches("^[0-9a-f]{64}$", draw.GetProperty("commitment").GetString());
    }

    [Fact]
    public async Task A_scheduled_opening_draws_its_prequeue_once_in_the_published_order_ahead_of_later_joiners()
    {
        await using var api = await StartAsync(cap: 2);
        var ops = await OperatorAsync(api);
        var opensAt = api.Clock.GetUtcNow().UtcDateTime.AddMinutes(10);

        var scheduled = await ChangeAsync(api, ops, new { opensAt });
        Assert.Equal("scheduled", scheduled.GetProperty("state").GetString());
        QueueReads.AssertSameInstant(opensAt, QueueReads.Timestamp(scheduled, "opensAt"));
        var commitment = scheduled.GetProperty("draw").GetProperty("commitment").GetString()!;
        Assert.Equal(JsonValueKind.Null, scheduled.GetProperty("draw").GetProperty("seed").ValueKind);

        // Fans who come early wait in the pre-queue, told when the sale opens; one gives up before it.
        var early = new List<JsonElement>();
        for (var i = 0; i < 7; i++)
        {
            var (_, status) = await FanJoinsAsync(api);
            Assert.Equal("prequeue", status.State());
            Assert.Equal(JsonValueKind.Null, status.GetProperty("position").ValueKind);
            Assert.Equal(600, status.GetProperty("estimatedWaitSeconds").GetInt32());
            Assert.Equal(20, status.GetProperty("pollAfterSeconds").GetInt32());
            QueueReads.AssertSameInstant(opensAt, QueueReads.Timestamp(status, "opensAt"));
            early.Add(status);
        }

        await (await api.Client.SendWithTokenAsync(HttpMethod.Get, "/api/concerts/1/schedules", early[0].Token()))
            .AssertProblemAsync(403, "queue_token_waiting");
        await api.Client.LeaveAsync(early[6].Token());
        await api.AdmitAsync();   // before the opening: nothing is drawn, nobody admitted
        Assert.Equal(0, await api.ActiveCountAsync());
        Assert.Equal("prequeue", (await api.Client.StatusAsync(early[0].Token())).State());

        // The opening's time comes; someone joins before the worker has drawn: they are in line behind the draw.
        api.Clock.SetUtcNow(opensAt);
        var (_, late) = await FanJoinsAsync(api);
        Assert.Equal("waiting", late.State());
        await api.AdmitAsync();
        await api.AdmitAsync();   // a second pass draws nothing again

        var draw = await (await DrawAsync(api)).JsonAsync();
        var seed = draw.GetProperty("seed").GetString()!;
        Assert.Equal(commitment, draw.GetProperty("commitment").GetString());
        Assert.Equal(commitment, Convert.ToHexStringLower(SHA256.HashData(Convert.FromHexString(seed))));
        QueueReads.AssertSameInstant(opensAt, QueueReads.Timestamp(draw, "drawnAt"));
        Assert.Equal(6, draw.GetProperty("total").GetInt32());   // the leaver is not drawn
        var scores = draw.GetProperty("scores").EnumerateArray().Select(s => s.GetString()!).ToList();
        var drawn = early.Take(6).Select(s => (Token: s.Token(), Score: Score(seed, s.Token())))
            .OrderBy(x => x.Score, StringComparer.Ordinal).ToList();
        Assert.Equal(drawn.Select(x => x.Score), scores);
        Assert.Equal(scores.Skip(2).Take(3), (await (await DrawAsync(api, "?offset=2&limit=3")).JsonAsync())
            .GetProperty("scores").EnumerateArray().Select(s => s.GetString()));

        // Admission and places follow the published order; the late joiner stands behind every drawn token.
        QueueReads.AssertActive(await api.Client.StatusAsync(drawn[0].Token));
        QueueReads.AssertActive(await api.Client.StatusAsync(drawn[1].Token));
        await api.ReadLineAsync();
        for (var i = 2; i < 6; i++)
        {
            QueueReads.AssertWaiting(await api.Client.StatusAsync(drawn[i].Token), position: i - 1);
        }

        QueueReads.AssertWaiting(await api.Client.StatusAsync(late.Token()), position: 5);
        var (_, later) = await FanJoinsAsync(api);
        QueueReads.AssertWaiting(later, position: 6);
        var room = await RoomAsync(api);
        Assert.Equal("open", room.GetProperty("state").GetString());
        Assert.Equal(seed, room.GetProperty("draw").GetProperty("seed").GetString());
    }

    [Fact]
    public async Task Moving_an_opening_keeps_its_commitment_and_clearing_it_draws_at_once()
    {
        await using var api = await StartAsync(cap: 1);
        var ops = await OperatorAsync(api);
        var now = api.Clock.GetUtcNow().UtcDateTime;
        var first = await ChangeAsync(api, ops, new { opensAt = now.AddMinutes(10) });
        var (_, fan) = await FanJoinsAsync(api);
        var (_, other) = await FanJoinsAsync(api);

        var moved = await ChangeAsync(api, ops, new { opensAt = now.AddHours(1) });
        Assert.Equal(first.GetProperty("draw").GetProperty("commitment").GetString(), moved.GetProperty("draw").GetProperty("commitment").GetString());
        QueueReads.AssertSameInstant(now.AddHours(1), QueueReads.Timestamp(moved, "opensAt"));
        Assert.Equal(3600, (await api.Client.StatusAsync(fan.Token())).GetProperty("estimatedWaitSeconds").GetInt32());
        var untouched = await ChangeAsync(api, ops, new { paused = false });   // opensAt left out: unchanged
        QueueReads.AssertSameInstant(now.AddHours(1), QueueReads.Timestamp(untouched, "opensAt"));

        var cleared = await ChangeAsync(api, ops, new { opensAt = (DateTime?)null });
        Assert.Equal("open", cleared.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("opensAt").ValueKind);
        var seed = cleared.GetProperty("draw").GetProperty("seed").GetString()!;
        Assert.Equal(first.GetProperty("draw").GetProperty("commitment").GetString(),
            Convert.ToHexStringLower(SHA256.HashData(Convert.FromHexString(seed))));
        var winner = Score(seed, fan.Token()).CompareTo(Score(seed, other.Token())) < 0 ? fan : other;
        var loser = winner.Token() == fan.Token() ? other : fan;
        QueueReads.AssertActive(await api.Client.StatusAsync(winner.Token()));
        await api.ReadLineAsync();
        QueueReads.AssertWaiting(await api.Client.StatusAsync(loser.Token()), position: 1);
    }

    [Fact]
    public async Task Pausing_stops_admission_and_resuming_admits_at_once()
    {
        await using var api = await StartAsync(cap: 1);
        var ops = await OperatorAsync(api);
        var (_, active) = await FanJoinsAsync(api);
        var (_, waiting) = await FanJoinsAsync(api);
        QueueReads.AssertActive(active);

        await ChangeAsync(api, ops, new { paused = true });
        await api.Client.LeaveAsync(active.Token());   // frees the slot, but admission is paused
        await api.AdmitAsync();

        await api.ReadLineAsync();
        var paused = await api.Client.StatusAsync(waiting.Token());
        Assert.Equal("waiting", paused.State());
        Assert.Equal(1, paused.Position());
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("estimatedWaitSeconds").ValueKind);
        Assert.InRange(paused.GetProperty("pollAfterSeconds").GetInt32(), 1, 20);
        var (_, newcomer) = await FanJoinsAsync(api);   // joins go on, in line
        Assert.Equal("waiting", newcomer.State());

        var resumed = await ChangeAsync(api, ops, new { paused = false });
        Assert.Equal("open", resumed.GetProperty("state").GetString());
        QueueReads.AssertActive(await api.Client.StatusAsync(waiting.Token()));
        Assert.Equal(1, await api.ActiveCountAsync());
    }

    [Fact]
    public async Task Lowering_the_cap_expires_nobody_and_admission_waits_until_fewer_are_active()
    {
        await using var api = await StartAsync(cap: 3);
        var ops = await OperatorAsync(api);
        var actives = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            actives.Add((await FanJoinsAsync(api)).Status);
        }

        var (_, waiting) = await FanJoinsAsync(api);

        await ChangeAsync(api, ops, new { maxActiveTokens = 1 });
        Assert.Equal(3, await api.ActiveCountAsync());
        foreach (var token in actives)
        {
            QueueReads.AssertActive(await api.Client.StatusAsync(token.Token()));
        }

        await api.Client.LeaveAsync(actives[0].Token());   // 2 active, cap 1: nobody comes in
        await api.AdmitAsync();
        Assert.Equal(2, await api.ActiveCountAsync());
        Assert.Equal("waiting", (await api.Client.StatusAsync(waiting.Token())).State());

        await api.Client.LeaveAsync(actives[1].Token());
        await api.Client.LeaveAsync(actives[2].Token());   // 0 active: one comes in, and only one
        await api.AdmitAsync();
        Assert.Equal(1, await api.ActiveCountAsync());
        QueueReads.AssertActive(await api.Client.StatusAsync(waiting.Token()));
    }
}
