using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Concert.Domain.Queue;

/// <summary>
/// One scheduled opening's draw, checkable by anyone. When the opening is scheduled a secret 256-bit seed is drawn
/// from the OS generator and only its SHA-256 (<see cref="Commitment"/>) is published; a token's score is
/// HMAC-SHA256(key = the seed, message = the token's UTF-8 bytes) and the pre-queue is admitted in ascending score
/// order. At the draw the seed and every drawn score, in order, are published (<see cref="Reveal"/>), so a fan can
/// check the seed against the commitment and their own score's place.
/// </summary>
public sealed class QueueDraw
{
    public const int SeedBytes = 32;
    public const int ScoreBytes = 32;

    private QueueDraw() { }

    /// <summary>Also the round of the tokens it draws (<see cref="QueueToken.Round"/>).</summary>
    public long Id { get; private set; }

    /// <summary>SHA-256 of the seed, lowercase hex: published from the moment the opening is scheduled.</summary>
    public string Commitment { get; private set; } = "";

    /// <summary>The secret until <see cref="DrawnAt"/>; never shown before.</summary>
    public byte[] Seed { get; private set; } = [];

    public DateTime ScheduledAt { get; private set; }

    public DateTime? DrawnAt { get; private set; }

    /// <summary>How many tokens were drawn (those still in the pre-queue at the draw).</summary>
    public int Total { get; private set; }

    /// <summary>Every drawn score in admission order, <see cref="ScoreBytes"/> bytes each; empty before the draw.</summary>
    public byte[] Scores { get; private set; } = [];

    public bool IsDrawn => DrawnAt is not null;

    /// <summary>The seed, once revealed; null before the draw.</summary>
    public byte[]? RevealedSeed => IsDrawn ? Seed : null;

    public static QueueDraw Schedule(DateTime now) => FromSeed(RandomNumberGenerator.GetBytes(SeedBytes), now);

    /// <summary>A draw with a given seed (tests; <see cref="Schedule"/> for real openings).</summary>
    public static QueueDraw FromSeed(byte[] seed, DateTime now)
    {
        if (seed.Length != SeedBytes)
        {
            throw new ArgumentException($"A seed is {SeedBytes} bytes.", nameof(seed));
        }

        return new QueueDraw { Seed = seed.ToArray(), Commitment = Hex(SHA256.HashData(seed)), ScheduledAt = now };
    }

    /// <summary>HMAC-SHA256(seed, UTF-8 token): the token's draw score.</summary>
    public byte[] ScoreOf(string token) => ScoreOf(Seed, token);

    public static byte[] ScoreOf(byte[] seed, string token) => HMACSHA256.HashData(seed, Encoding.UTF8.GetBytes(token));

    /// <summary>A score's leading 63 bits, as a non-negative number that sorts as the score does (the line's
    /// order in the database). Two scores share them with probability 2^-63 per pair; the full scores then decide
    /// the published order, and the token ids the admission order.</summary>
    public static long KeyOf(ReadOnlySpan<byte> score) =>
        Math.Min((long)(BinaryPrimitives.ReadUInt64BigEndian(score) >> 1), QueueToken.NotDrawn - 1);

    /// <summary>Records the draw: <paramref name="tokens"/> are the pre-queue at this moment. Returns them in draw
    /// order. Drawing twice is refused (the database makes sure only one instance gets here).</summary>
    public IReadOnlyList<string> Reveal(DateTime now, IEnumerable<string> tokens)
    {
        if (IsDrawn)
        {
            throw new InvalidOperationException($"Draw {Id} was already made at {DrawnAt:O}.");
        }

        var scored = tokens.Select(t => (Token: t, Score: ScoreOf(t))).ToList();
        scored.Sort((a, b) => a.Score.AsSpan().SequenceCompareTo(b.Score));
        Scores = new byte[scored.Count * ScoreBytes];
        for (var i = 0; i < scored.Count; i++)
        {
            scored[i].Score.CopyTo(Scores, i * ScoreBytes);
        }

        Total = scored.Count;
        DrawnAt = now;
        return scored.Select(s => s.Token).ToList();
    }

    /// <summary>Drawn scores <paramref name="offset"/> … <paramref name="offset"/> + <paramref name="limit"/> − 1, hex.</summary>
    public IReadOnlyList<string> ScoresPage(int offset, int limit)
    {
        var from = Math.Min(offset, Total);
        var count = Math.Min(limit, Total - from);
        var page = new string[count];
        for (var i = 0; i < count; i++)
        {
            page[i] = Hex(Scores.AsSpan((from + i) * ScoreBytes, ScoreBytes));
        }

        return page;
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
