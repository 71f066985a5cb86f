using Concert.Domain.Common;
using Concert.Domain.Users;

namespace Concert.Domain.UnitTests.Users;

public sealed class UserTests
{
    private static readonly DateTime Now = new(2026, 11, 24, 9, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("Kim")]
    [InlineData("김철수")]
    [InlineData("  Kim  Lee ")]
    [InlineData("O'Brien-Smith ✓")]
    [InlineData("x")]
    public void Create_keeps_a_valid_name_verbatim(string name)
    {
        var user = User.Create(name, Now);

        Assert.Equal(name, user.Name);
        Assert.Equal(Now, user.CreatedAt);
        Assert.True(User.IsValidName(name));
    }

    [Fact]
    public void Create_accepts_exactly_50_characters()
    {
        var latin = new string('a', 50);
        var korean = new string('가', 50);

        Assert.Equal(latin, User.Create(latin, Now).Name);
        Assert.Equal(korean, User.Create(korean, Now).Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("   \u3000")]
    [InlineData("\t")]
    public void Create_refuses_a_blank_name(string name)
    {
        AssertRefused(name);
    }

    [Fact]
    public void Create_refuses_51_characters()
    {
        AssertRefused(new string('a', 51));
        AssertRefused(new string('가', 51));
    }

    [Theory]
    [InlineData("Kim\n")]
    [InlineData("Ki\tm")]
    [InlineData("Kim\0")]
    [InlineData("\u0007Kim")]
    [InlineData("Kim\u007f")]
    [InlineData("Kim\u0085")]
    [InlineData("Kim\r\nLee")]
    public void Create_refuses_control_characters(string name)
    {
        AssertRefused(name);
    }

    [Fact]
    public void IsValidName_refuses_null()
    {
        Assert.False(User.IsValidName(null));
    }

    private static void AssertRefused(string name)
    {
        Assert.False(User.IsValidName(name));
        var error = Assert.Throws<DomainException>(() => User.Create(name, Now));
        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(ErrorKind.Validation, error.Kind);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}
