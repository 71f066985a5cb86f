namespace Concert.Application.Auth;

/// <summary>The contract's sign-in answer: a bearer token valid for <see cref="ExpiresIn"/> seconds.</summary>
public sealed record AccessTokenDto(string AccessToken, string TokenType, long ExpiresIn);
