using FluentValidation;

namespace Concert.Application.Auth.Commands.SignIn;

public sealed class SignInCommandValidator : AbstractValidator<SignInCommand>
{
    public SignInCommandValidator()
    {
        RuleFor(c => c.Email).NotEmpty().WithMessage("email is required.");
        RuleFor(c => c.Password).NotEmpty().WithMessage("password is required.");
    }
}
