using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Concert.MultiInstance.Tests.Infrastructure;

/// <summary>
/// Sends the contract's requests to either instance and records every exchange in the <see cref="Ledger"/>.
/// Once an instance has been killed, new requests go to the survivor, and a request the kill cut short can be
/// retried there, as a real client behind a load balancer would.
/// </summary>
public sealed class LoadClient(IReadOnlyList<ServiceInstance> instances, Ledger ledger)
{
    public Ledger Ledger => ledger;

    public IReadOnlyList<ServiceInstance> Instances => instances;

    public IReadOnlyList<ServiceInstance> Alive => instances.Where(i => !ledger.IsKilled(i.Name)).ToList();

    public ServiceInstance Pick(Random random)
    {
        var alive = Alive;
        return alive[random.Next(alive.Count)];
    }

    /// <summary>Instance <paramref name="index"/> (mod count), or a survivor if that one was killed.</summary>
    public ServiceInstance At(int index)
    {
        var instance = instances[index % instances.Count];
        return ledger.IsKilled(instance.Name) ? Alive[0] : instance;
    }

    public const string Password = "correct horse battery";

    /// <summary>Each user's bearer token, as each user's own frontend keeps it.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> _bearers = new();

    /// <summary>Signs a user up and in (at the same instance); the sign-up's answer is returned.</summary>
    public async Task<Call> CreateUserAsync(ServiceInstance at, string name)
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        var created = await SendAsync("create-user", at, null, HttpMethod.Post, "/api/users", new { name, email, password = Password });
        if (created.Status != 201)
        {
            return created;
        }

        var userId = created.Body!.Value.GetProperty("id").GetInt64();
        var signedIn = await SendAsync("sign-in", at, userId, HttpMethod.Post, "/api/auth/token", new { email, password = Password });
        if (signedIn.Status != 200)
        {
            throw new InvalidOperationException($"Sign-in of a user just made failed: {signedIn}");
        }

        _bearers[userId] = signedIn.Body!.Value.GetProperty("accessToken").GetString()!;
        return created;
    }

    /// <summary>Signs an existing account in (an operator's, say); returns its user id, read from the token's
    /// <c>sub</c>. Requests for that id carry its bearer from then on.</summary>
    public async Task<long> SignInAsync(ServiceInstance at, string email, string password)
    {
        var signedIn = await SendAsync("sign-in", at, null, HttpMethod.Post, "/api/auth/token", new { email, password });
        if (signedIn.Status != 200)
        {
            throw new InvalidOperationException($"Sign-in of {email} failed: {signedIn}");
        }

        var bearer = signedIn.Body!.Value.GetProperty("accessToken").GetString()!;
        var payload = bearer.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        using var claims = JsonDocument.Parse(Convert.FromBase64String(payload));
        var userId = long.Parse(claims.RootElement.GetProperty("sub").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        _bearers[userId] = bearer;
        return userId;
    }

    public async Task<ChargeAttempt> ChargeAsync(ServiceInstance at, long userId, long amount)
    {
        var call = await SendAsync("charge", at, userId, HttpMethod.Post, $"/api/users/{userId}/balance/charges", new { amount });
        var attempt = new ChargeAttempt(userId, amount, call);
        ledger.Charges.Enqueue(attempt);
        return attempt;
    }

    public async Task<JoinAttempt> JoinAsync(ServiceInstance at, long userId)
    {
        var call = await SendAsync("join", at, userId, HttpMethod.Post, "/api/queue/tokens", null);
        var attempt = new JoinAttempt(userId, call);
        ledger.Joins.Enqueue(attempt);
        return attempt;
    }

    public Task<Call> PollAsync(ServiceInstance at, long userId, string token) =>
        SendAsync("poll", at, userId, HttpMethod.Get, "/api/queue/tokens/current", null, token);

    public Task<Call> LeaveAsync(ServiceInstance at, long userId, string token) =>
        SendAsync("leave", at, userId, HttpMethod.Delete, "/api/queue/tokens/current", null, token);

    /// <summary>The waiting room as <paramref name="at"/> shows it to everyone: its counts come from that instance's
    /// copy of the line, up to a second old.</summary>
    public async Task<JsonElement> RoomAsync(ServiceInstance at)
    {
        var call = await SendAsync("room", at, null, HttpMethod.Get, "/api/waiting-room", null);
        Assert.True(call.Status == 200, call.ToString());
        return call.Body!.Value;
    }

    public Task<Call> HoldAsync(ServiceInstance at, long userId, string token, long seatId) =>
        SendAsync("hold", at, userId, HttpMethod.Post, "/api/reservations", new { seatId }, token);

    public Task<Call> CancelAsync(ServiceInstance at, long userId, string token, long reservationId) =>
        SendAsync("cancel", at, userId, HttpMethod.Delete, $"/api/reservations/{reservationId}", null, token);

    public async Task<PaymentAttempt> PayAsync(ServiceInstance at, long userId, string token, long[] reservationIds, string? key)
    {
        var call = await SendAsync("pay", at, userId, HttpMethod.Post, "/api/payments", new { reservationIds }, token, key);
        var attempt = new PaymentAttempt(userId, reservationIds, key, call);
        ledger.Payments.Enqueue(attempt);
        return attempt;
    }

    public async Task<Call> SendAsync(
        string kind, ServiceInstance at, long? userId, HttpMethod method, string path, object? body,
        string? token = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (userId is { } id && _bearers.TryGetValue(id, out var bearer))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        if (token is not null)
        {
            request.Headers.Add("Queue-Token", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var started = ledger.Now;
        var number = ledger.NextRequestNumber();
        ledger.InFlight[number] = (kind, at.Name, started);
        Call call;
        try
        {
            using var response = await at.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var json = ParseOrNull(text);
            string? code = json is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("code", out var c) ? c.GetString() : null;
            call = new Call(kind, at.Name, userId, started, ledger.Now, (int)response.StatusCode, code, json, null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            call = new Call(kind, at.Name, userId, started, ledger.Now, null, null, null, $"{e.GetType().Name}: {e.Message}");
        }

        finally
        {
            ledger.InFlight.TryRemove(number, out _);
        }

        ledger.Record(call);
        return call;
    }

    private static JsonElement? ParseOrNull(string text)
    {
        try
        {
            return text.Length > 0 ? JsonDocument.Parse(Encoding.UTF8.GetBytes(text)).RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            // A bare status page (431 and the like): the status says enough.
            return null;
        }
    }
}
