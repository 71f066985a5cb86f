namespace Concert.WebApi.Infrastructure;

/// <summary>Marks endpoints that need a signed-in caller (<c>Authorization: Bearer</c>) in the OpenAPI document.</summary>
public sealed class SignInRequiredMetadata;

public static class SignInEndpointExtensions
{
    /// <summary>
    /// The endpoints need a signed-in caller: ASP.NET Core's authorization (401 before anything else is read), and
    /// the <c>bearer</c> scheme with its 401 in the document. <c>AllowAnonymous()</c> on an endpoint opts it out.
    /// </summary>
    public static TBuilder RequiresSignIn<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization().WithMetadata(new SignInRequiredMetadata());
}
