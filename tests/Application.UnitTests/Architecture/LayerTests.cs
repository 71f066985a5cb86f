using NetArchTest.Rules;

namespace Concert.Application.UnitTests.Architecture;

/// <summary>Dependencies point inwards only: WebApi → Infrastructure → Application → Domain.</summary>
public sealed class LayerTests
{
    private static readonly System.Reflection.Assembly Domain = typeof(Concert.Domain.Accounts.Account).Assembly;
    private static readonly System.Reflection.Assembly Application = typeof(Concert.Application.DependencyInjection).Assembly;

    [Fact]
    public void Domain_depends_on_no_framework_nor_outer_layer()
    {
        var result = Types.InAssembly(Domain).ShouldNot()
            .HaveDependencyOnAny("Microsoft.EntityFrameworkCore", "Microsoft.AspNetCore", "Mediator", "FluentValidation",
                "Concert.Application", "Concert.Infrastructure", "Concert.WebApi")
            .GetResult();

        Assert.True(result.IsSuccessful, string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void Application_depends_on_neither_infrastructure_nor_the_web()
    {
        var result = Types.InAssembly(Application).ShouldNot()
            .HaveDependencyOnAny("Concert.Infrastructure", "Concert.WebApi", "Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore.Sqlite",
                "Microsoft.EntityFrameworkCore.SqlServer", "Npgsql")
            .GetResult();

        Assert.True(result.IsSuccessful, string.Join(", ", result.FailingTypeNames ?? []));
    }
}
