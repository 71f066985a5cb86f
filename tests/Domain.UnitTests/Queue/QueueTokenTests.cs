using System.Text.RegularExpressions;
using Concert.Domain.Queue;

namespace Concert.Domain.UnitTests.Queue;

public sealed partial class QueueTokenTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(5);

    [GeneratedRegex("^[A-Za-z0-9_-]{43}$")]
    private static partial Regex UrlSafe43();

    [Fact]
    public void Issue_creates_a_waiting_live_token_seen_now()
    {
        var token = QueueToken.Issue(7, Now);

        Assert.Equal(7, token.UserId);
        Assert.Equal(7, token.LiveUserId);
        Assert.Equal(QueueTokenStatus.Waiting, token.Status);
        Assert.Equal(Now, token.IssuedAt);
        Assert.Equal(Now, token.LastSeenAt);
        Assert.Null(token.ActivatedAt);
        Assert.Null(token.ExpiresAt);
        Assert.Null(token.ExpiredAt);
        Assert.Matches(UrlSafe43(), token.Token);
    }

    [Fact]
    public void Issue_gives_every_token_a_distinct_url_safe_value_of_256_bits()
    {
        var values = Enumerable.Range(0, 10_000).Select(i => QueueToken.Issue(i, Now).Token).ToList();

        Assert.All(values, v => Assert.Matches(UrlSafe43(), v));
        Assert.Equal(values.Count, values.Distinct(StringComparer.Ordinal).Count());
        // 43 base64url characters carry 258 bits, of which 256 are the random bytes: decoding gives 32 bytes back.
        var padded = values[0].Replace('-', '+').Replace('_', '/') + "=";
        Assert.Equal(32, Convert.FromBase64String(padded).Length);
    }

    [Fact]
    public void Issue_values_use_the_whole_alphabet_not_a_fixed_pattern()
    {
        // 2,000 tokens × 43 characters: every one of the 64 symbols shows up unless the generator is broken.
        var seen = Enumerable.Range(0, 2_000).SelectMany(_ => QueueToken.NewTokenValue()).ToHashSet();

        Assert.Equal(64, seen.Count);
    }

    [Fact]
    public void Activate_starts_the_active_window_from_now()
    {
        var token = QueueToken.Issue(7, Now);
        var at = Now.AddSeconds(30);

        token.Activate(at, Lifetime);

        Assert.Equal(QueueTokenStatus.Active, token.Status);
        Assert.Equal(at, token.ActivatedAt);
        Assert.Equal(at + Lifetime, token.ExpiresAt);
        Assert.Equal(7, token.LiveUserId);
        Assert.Null(token.ExpiredAt);
    }

    [Fact]
    public void Activate_refuses_an_active_token_and_keeps_its_window()
    {
        var token = QueueToken.Issue(7, Now);
        token.Activate(Now, Lifetime);

        Assert.Throws<InvalidOperationException>(() => token.Activate(Now.AddMinutes(1), Lifetime));

        Assert.Equal(QueueTokenStatus.Active, token.Status);
        Assert.Equal(Now, token.ActivatedAt);
        Assert.Equal(Now + Lifetime, token.ExpiresAt);
    }

    [Fact]
    public void Activate_refuses_an_expired_token()
    {
        var token = QueueToken.Issue(7, Now);
        token.Expire(Now);

        Assert.Throws<InvalidOperationException>(() => token.Activate(Now.AddMinutes(1), Lifetime));

        Assert.Equal(QueueTokenStatus.Expired, token.Status);
        Assert.Null(token.ActivatedAt);
        Assert.Null(token.ExpiresAt);
        Assert.Null(token.LiveUserId);
    }

    [Fact]
    public void Expire_a_waiting_token_frees_the_user_for_a_new_one()
    {
        var token = QueueToken.Issue(7, Now);

        token.Expire(Now.AddMinutes(1));

        Assert.Equal(QueueTokenStatus.Expired, token.Status);
        Assert.Null(token.LiveUserId);
        Assert.Equal(7, token.UserId);
        Assert.Equal(Now.AddMinutes(1), token.ExpiredAt);
    }

    [Fact]
    public void Expire_an_active_token_keeps_its_window_for_the_record()
    {
        var token = QueueToken.Issue(7, Now);
        token.Activate(Now, Lifetime);

        token.Expire(Now.AddMinutes(2));

        Assert.Equal(QueueTokenStatus.Expired, token.Status);
        Assert.Null(token.LiveUserId);
        Assert.Equal(Now.AddMinutes(2), token.ExpiredAt);
        Assert.Equal(Now, token.ActivatedAt);
        Assert.Equal(Now + Lifetime, token.ExpiresAt);
    }

    [Fact]
    public void Expire_twice_keeps_the_first_expiry_time()
    {
        var token = QueueToken.Issue(7, Now);
        token.Expire(Now.AddMinutes(1));

        token.Expire(Now.AddMinutes(9));

        Assert.Equal(QueueTokenStatus.Expired, token.Status);
        Assert.Null(token.LiveUserId);
        Assert.Equal(Now.AddMinutes(1), token.ExpiredAt);
    }

    [Fact]
    public void StatusAt_an_active_token_is_active_until_its_window_ends_then_expired()
    {
        var token = QueueToken.Issue(7, Now);
        token.Activate(Now, Lifetime);

        Assert.Equal(QueueTokenStatus.Active, token.StatusAt(Now + Lifetime - TimeSpan.FromTicks(1), IdleTimeout));
        Assert.Equal(QueueTokenStatus.Expired, token.StatusAt(Now + Lifetime, IdleTimeout));
        Assert.Equal(QueueTokenStatus.Expired, token.StatusAt(Now + Lifetime + TimeSpan.FromHours(1), IdleTimeout));
        // Reading the status writes nothing down.
        Assert.Equal(QueueTokenStatus.Active, token.Status);
        Assert.Equal(7, token.LiveUserId);
    }

    [Fact]
    public void StatusAt_an_active_token_is_not_subject_to_the_idle_timeout()
    {
        var token = QueueToken.Issue(7, Now);
        token.Activate(Now, Lifetime);

        // Never polled since issue, longer than the idle timeout, but still inside its active window.
        Assert.Equal(QueueTokenStatus.Active, token.StatusAt(Now + IdleTimeout + TimeSpan.FromMinutes(1), IdleTimeout));
    }

    [Fact]
    public void StatusAt_a_waiting_token_idle_for_the_timeout_is_expired()
    {
        var token = QueueToken.Issue(7, Now);

        Assert.Equal(QueueTokenStatus.Waiting, token.StatusAt(Now + IdleTimeout - TimeSpan.FromTicks(1), IdleTimeout));
        Assert.Equal(QueueTokenStatus.Expired, token.StatusAt(Now + IdleTimeout, IdleTimeout));
        Assert.Equal(QueueTokenStatus.Waiting, token.Status);
    }

    [Fact]
    public void StatusAt_a_waiting_token_seen_recently_stays_waiting()
    {
        var token = QueueToken.Issue(7, Now);
        token.Seen(Now.AddMinutes(4));

        Assert.Equal(QueueTokenStatus.Waiting, token.StatusAt(Now.AddMinutes(8), IdleTimeout));
        Assert.Equal(QueueTokenStatus.Expired, token.StatusAt(Now.AddMinutes(9), IdleTimeout));
    }

    [Fact]
    public void StatusAt_an_expired_token_stays_expired()
    {
        var token = QueueToken.Issue(7, Now);
        token.Expire(Now);

        Assert.Equal(QueueTokenStatus.Expired, token.StatusAt(Now, IdleTimeout));
        Assert.Equal(QueueTokenStatus.Expired, token.StatusAt(Now.AddDays(2), IdleTimeout));
    }

    [Fact]
    public void ShouldRecordPoll_is_throttled_to_the_interval_for_a_waiting_token()
    {
        var token = QueueToken.Issue(7, Now);
        var interval = TimeSpan.FromSeconds(30);

        Assert.False(token.ShouldRecordPoll(Now, interval));
        Assert.False(token.ShouldRecordPoll(Now.AddSeconds(29), interval));
        Assert.True(token.ShouldRecordPoll(Now.AddSeconds(30), interval));

        token.Seen(Now.AddSeconds(30));

        Assert.False(token.ShouldRecordPoll(Now.AddSeconds(59), interval));
        Assert.True(token.ShouldRecordPoll(Now.AddSeconds(60), interval));
    }

    [Fact]
    public void ShouldRecordPoll_is_false_for_active_and_expired_tokens()
    {
        var active = QueueToken.Issue(7, Now);
        active.Activate(Now, Lifetime);
        var expired = QueueToken.Issue(8, Now);
        expired.Expire(Now);

        Assert.False(active.ShouldRecordPoll(Now.AddMinutes(3), TimeSpan.FromSeconds(30)));
        Assert.False(expired.ShouldRecordPoll(Now.AddMinutes(3), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Seen_moves_last_seen_forward_only()
    {
        var token = QueueToken.Issue(7, Now);

        token.Seen(Now.AddMinutes(2));
        Assert.Equal(Now.AddMinutes(2), token.LastSeenAt);

        token.Seen(Now.AddMinutes(1));
        Assert.Equal(Now.AddMinutes(2), token.LastSeenAt);

        token.Seen(Now.AddMinutes(3));
        Assert.Equal(Now.AddMinutes(3), token.LastSeenAt);
        Assert.Equal(Now, token.IssuedAt);
    }
}
