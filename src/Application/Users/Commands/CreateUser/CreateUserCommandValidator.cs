using Concert.Domain.Users;
using FluentValidation;

namespace Concert.Application.Users.Commands.CreateUser;

public sealed class CreateUserCommandValidator : AbstractValidator<CreateUserCommand>
{
    public CreateUserCommandValidator()
    {
        RuleFor(c => c.Name)
            .Must(User.IsValidName)
            .WithMessage(User.NameRule);
        RuleFor(c => c.Email)
            .Must(User.IsValidEmail)
            .WithMessage($"An email is one address of at most {User.MaxEmailLength} characters.");
        RuleFor(c => c.Password)
            .Must(User.IsValidPassword)
            .WithMessage($"A password is {User.MinPasswordLength}–{User.MaxPasswordLength} characters.");
    }
}
