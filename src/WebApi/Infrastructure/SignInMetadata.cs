namespace Concert.WebApi.Infrastructure;

/// <summary>Marks endpoints that need a signed-in caller (<c>Authorization: Bearer</c>) in the OpenAPI document.</summary>
public sealed class SignInRequiredMetadata;

public static class SignInEndpointExtensions
{
    /// <summary>
    /// The endpoints need a signed-in caller. Documents the <c>bearer</c> scheme and its 401; the operation
    /// transformer reads ASP.NET's <c>IAuthorizeData</c> / <c>IAllowAnonymous</c> the same way, so adding
    /// <c>RequireAuthorization()</c> beside (or inside) this keeps the document as it is.
    /// </summary>
    public static TBuilder RequiresSignIn<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new SignInRequiredMetadata());
}
