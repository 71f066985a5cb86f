using FluentValidation;

namespace Concert.Application.Queue.Commands.IssueQueueToken;

public sealed class IssueQueueTokenCommandValidator : AbstractValidator<IssueQueueTokenCommand>
{
    public IssueQueueTokenCommandValidator() =>
        RuleFor(c => c.UserId).GreaterThan(0).WithMessage("userId is a positive integer.");
}
