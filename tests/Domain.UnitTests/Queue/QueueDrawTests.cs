using System.Security.Cryptography;
using System.Text;
using Concert.Domain.Queue;

namespace Concert.Domain.UnitTests.Queue;

public sealed class QueueDrawTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);

    private static readonly byte[] Seed = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    [Fact]
    public void The_commitment_is_the_seeds_sha256_in_lowercase_hex()
    {
        var draw = QueueDraw.FromSeed(Seed, Now);

        // sha256 of the bytes 0x00..0x1f, as any sha256 tool prints it
        Assert.Equal("630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd", draw.Commitment);
        Assert.Null(draw.RevealedSeed);
    }

    [Fact]
    public void A_score_is_hmac_sha256_keyed_by_the_seed_over_the_token()
    {
        var draw = QueueDraw.FromSeed(Seed, Now);

        Assert.Equal(HMACSHA256.HashData(Seed, Encoding.UTF8.GetBytes("abc")), draw.ScoreOf("abc"));
        Assert.NotEqual(draw.ScoreOf("abc"), QueueDraw.FromSeed(SHA256.HashData(Seed), Now).ScoreOf("abc"));
    }

    [Fact]
    public void Scheduled_seeds_are_random_and_secret_until_the_draw()
    {
        var a = QueueDraw.Schedule(Now);
        var b = QueueDraw.Schedule(Now);

        Assert.NotEqual(a.Commitment, b.Commitment);
        Assert.Null(a.RevealedSeed);
        Assert.Empty(a.ScoresPage(0, 1000));
    }

    [Fact]
    public void The_draw_publishes_the_seed_and_every_score_ascending_and_is_made_once()
    {
        var draw = QueueDraw.FromSeed(Seed, Now);
        var tokens = Enumerable.Range(0, 500).Select(i => $"token-{i}").ToList();

        var order = draw.Reveal(Now.AddMinutes(5), tokens);

        Assert.Equal(Seed, draw.RevealedSeed);
        Assert.Equal(Now.AddMinutes(5), draw.DrawnAt);
        Assert.Equal(500, draw.Total);
        var expected = tokens.Select(t => Convert.ToHexStringLower(HMACSHA256.HashData(Seed, Encoding.UTF8.GetBytes(t))))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, draw.ScoresPage(0, 1000));
        Assert.Equal(expected.Skip(490), draw.ScoresPage(490, 1000));
        Assert.Equal(expected.Skip(100).Take(7), draw.ScoresPage(100, 7));
        Assert.Empty(draw.ScoresPage(500, 10));
        Assert.Equal(expected, order.Select(t => Convert.ToHexStringLower(draw.ScoreOf(t))));
        Assert.Throws<InvalidOperationException>(() => draw.Reveal(Now.AddMinutes(6), tokens));
    }

    [Fact]
    public void The_draw_key_sorts_as_the_score_does()
    {
        var draw = QueueDraw.FromSeed(Seed, Now);
        var scores = Enumerable.Range(0, 2_000).Select(i => draw.ScoreOf($"t{i}")).ToList();

        var byScore = scores.OrderBy(s => Convert.ToHexStringLower(s), StringComparer.Ordinal).ToList();
        var byKey = scores.OrderBy(s => QueueDraw.KeyOf(s)).ToList();

        Assert.Equal(byScore, byKey);
        Assert.All(scores, s => Assert.InRange(QueueDraw.KeyOf(s), 0, QueueToken.NotDrawn - 1));
    }
}
