using Concert.Domain.Users;

namespace Concert.Domain.UnitTests.Users;

/// <summary>The contract's name rule, one row per case: length as a reader counts it, and what a name may hold.</summary>
public sealed class UserNameTests
{
    private const string Family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466";   // 👨‍👩‍👧‍👦, 11 UTF-16 units
    private const string Couple = "\U0001F469\U0001F3FD\u200D\u2764\uFE0F\u200D\U0001F468\U0001F3FB";   // 👩🏽‍❤️‍👨🏻, 12 units
    private const string Flag = "\U0001F1F0\U0001F1F7";   // 🇰🇷

    private static string Times(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    public static TheoryData<string, string> Accepted() => new()
    {
        { "plain", "Kim" },
        { "Hangul", "김철수" },
        { "inner and outer spaces kept", "  Kim  Lee " },
        { "one letter", "x" },
        { "50 letters", Times("a", 50) },
        { "50 syllables", Times("가", 50) },
        { "26 emoji", Times("😀", 26) },
        { "50 emoji", Times("😀", 50) },
        { "50 families (550 units)", Times(Family, 50) },
        { "50 couples with skin tones (600 units)", Times(Couple, 50) },
        { "50 flags", Times(Flag, 50) },
        { "decomposed accents count once", Times("e\u0301", 50) },
        { "a zero-width joiner inside a name", "Kim\u200DLee" },
        { "private use", "Kim\uE000" },
        { "a letter beside a zero-width space", "\u200BK" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void A_valid_name_is_accepted_and_kept_verbatim(string why, string name)
    {
        Assert.True(User.IsValidName(name), why);
        Assert.Equal(name, User.Register(name, "kim@example.com", "not-a-real-hash", DateTime.UnixEpoch).Name);
    }

    public static TheoryData<string, string> Refused() => new()
    {
        { "empty", "" },
        { "51 letters", Times("a", 51) },
        { "51 emoji", Times("😀", 51) },
        { "51 families", Times(Family, 51) },
        { "over 600 units though few graphemes", "a" + new string('\u0301', 600) },
        { "only spaces", "   " },
        { "ideographic space", "\u3000" },
        { "only zero-width spaces", "\u200B\u200B" },
        { "only a byte-order mark", "\uFEFF" },
        { "word joiner and spaces", " \u2060 " },
        { "line separator", "\u2028" },
        { "line separator inside", "Kim\u2028Lee" },
        { "paragraph separator inside", "Kim\u2029Lee" },
        { "Hangul filler", "\u3164" },
        { "half-width Hangul filler", "\uFFA0\uFFA0" },
        { "blank Braille cell", "\u2800" },
        { "only a combining mark", "\u0301" },
        { "newline", "Kim\n" },
        { "tab", "Ki\tm" },
        { "NUL", "Kim\0" },
        { "DEL", "Kim\u007f" },
        { "C1 control", "Kim\u0085" },
        { "left-to-right embedding", "\u202AKim" },
        { "right-to-left override", "Kim\u202Egnp.exe" },
        { "pop directional formatting", "Kim\u202C" },
        { "left-to-right isolate", "\u2066Kim" },
        { "pop directional isolate", "Kim\u2069" },
        { "noncharacter U+FDD0", "Kim\uFDD0" },
        { "noncharacter U+FFFE", "Kim\uFFFE" },
        { "noncharacter U+FFFF", "Kim\uFFFF" },
        { "noncharacter U+1FFFE", "Kim\U0001FFFE" },
        { "unassigned U+0378", "Kim\u0378" },
        { "unassigned plane 3 far end", "Kim\U0003FFF0" },
        { "lone high surrogate", "Kim\uD800" },
        { "lone low surrogate", "\uDC00Kim" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void An_invalid_name_is_refused(string why, string name)
    {
        Assert.False(User.IsValidName(name), why);
        Assert.Throws<Concert.Domain.Common.DomainException>(() => User.Register(name, "kim@example.com", "not-a-real-hash", DateTime.UnixEpoch));
    }
}
