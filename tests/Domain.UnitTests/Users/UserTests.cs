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
        var user = Register(name);

        Assert.Equal(name, user.Name);
        Assert.Equal(Now, user.CreatedAt);
        Assert.True(User.IsValidName(name));
    }

    [Fact]
    public void Create_accepts_exactly_50_characters()
    {
        var latin = new string('a', 50);
        var korean = new string('가', 50);

        Assert.Equal(latin, Register(latin).Name);
        Assert.Equal(korean, Register(korean).Name);
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
        var error = Assert.Throws<DomainException>(() => Register(name));
        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(ErrorKind.Validation, error.Kind);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("kim@example.com")]
    [InlineData("Kim.Lee+tickets@mail.example.co.kr")]
    [InlineData("a@b.c")]
    public void An_address_is_a_valid_email(string email) => Assert.True(User.IsValidEmail(email));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("kim")]
    [InlineData("kim@")]
    [InlineData("@example.com")]
    [InlineData("kim@example")]
    [InlineData("kim@@example.com")]
    [InlineData("kim lee@example.com")]
    [InlineData("kim@example.com.")]
    public void Anything_else_is_not_a_valid_email(string? email) => Assert.False(User.IsValidEmail(email));

    [Fact]
    public void An_email_of_254_characters_is_valid_and_255_is_not()
    {
        var domain = "@example.com";
        Assert.True(User.IsValidEmail(new string('k', 254 - domain.Length) + domain));
        Assert.False(User.IsValidEmail(new string('k', 255 - domain.Length) + domain));
    }

    [Fact]
    public void Register_keeps_the_email_as_given_and_normalises_it_for_uniqueness()
    {
        var user = Register("Kim", "Kim.Lee@Example.com");

        Assert.Equal("Kim.Lee@Example.com", user.Email);
        Assert.Equal(User.NormalizeEmail("kim.lee@example.COM"), user.NormalizedEmail);
        Assert.Equal(UserRole.Fan, user.Role);
        Assert.True(user.CanSignIn);
    }

    [Theory]
    [InlineData(7, false)]
    [InlineData(8, true)]
    [InlineData(128, true)]
    [InlineData(129, false)]
    public void A_password_is_8_to_128_characters(int length, bool valid) =>
        Assert.Equal(valid, User.IsValidPassword(new string('p', length)));

    private static User Register(string name, string email = "kim@example.com") =>
        User.Register(name, email, "not-a-real-hash", Now);
}
