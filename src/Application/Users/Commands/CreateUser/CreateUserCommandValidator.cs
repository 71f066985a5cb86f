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
    }
}
