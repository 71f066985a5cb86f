using Concert.Domain.Payments;

namespace Concert.Domain.UnitTests.Payments;

public sealed class IdempotencyRecordTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);

    public static TheoryData<string> ValidKeys =>
    [
        "a",
        "!",
        "~",
        "3f2c1a9e-7b7d-4f0e-9a51-0c6f1f6d2b8e",
        "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"[..64],
        new string('k', IdempotencyRecord.MaxKeyLength),
    ];

    public static TheoryData<string> InvalidKeys =>
    [
        "",
        new string('k', IdempotencyRecord.MaxKeyLength + 1),
        " ",
        "two words",
        " leading",
        "trailing ",
        "tab\there",
        "new\nline",
        "del\u007f",
        "caf\u00e9",
        "키",
        "emoji\ud83d\ude00",
    ];

    [Theory]
    [MemberData(nameof(ValidKeys))]
    public void IsValidKey_accepts_1_to_64_printable_ascii(string key)
    {
        Assert.True(IdempotencyRecord.IsValidKey(key));
    }

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public void IsValidKey_refuses_empty_long_or_non_printable_keys(string key)
    {
        Assert.False(IdempotencyRecord.IsValidKey(key));
    }

    [Fact]
    public void IsValidKey_refuses_null()
    {
        Assert.False(IdempotencyRecord.IsValidKey(null));
    }

    [Fact]
    public void IsValidKey_accepts_every_printable_ascii_character_and_nothing_around_it()
    {
        for (var c = (char)0; c < 256; c++)
        {
            Assert.Equal(c is >= '!' and <= '~', IdempotencyRecord.IsValidKey(c.ToString()));
        }
    }

    [Fact]
    public void Claim_then_Complete_stores_the_outcome_under_user_and_key()
    {
        var record = IdempotencyRecord.Claim(7, "key-1", "fp", Now);

        record.Complete(201, "{\"id\":1}");

        Assert.Equal(7, record.UserId);
        Assert.Equal("key-1", record.Key);
        Assert.Equal("fp", record.Fingerprint);
        Assert.Equal(Now, record.CreatedAt);
        Assert.Equal(201, record.ResponseStatus);
        Assert.Equal("{\"id\":1}", record.ResponseBody);
    }
}
