using Concert.Domain.Users;
using FluentValidation;

namespace Concert.Application.Users.Commands.CreateUser;

public sealed class CreateUserCommandValidator : AbstractValidator<CreateUserCommand>
{
    public CreateUserCommandValidator()
    {
        RuleFor(c => c.Name)
            .Must(User.IsValidName)
            .WithMessage($"A name is 1–{User.MaxNameLength} characters, not blank, without control characters.");
    }
}
