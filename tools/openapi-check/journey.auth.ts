// The contract's sign-up, sign-in, "who am I" and join (API.md, "Accounts and sign-in").
import { credentials, explain, type Api } from "./journey";
import { expectType, type Equal } from "./contract-types";

export async function signUpAndIn(api: Api, name: string, email: string, password: string): Promise<number | string> {
  const signUp = await api.POST("/api/users", { body: { name, email, password } });
  if (signUp.error) return signUp.error.code === "email_taken" ? "already signed up" : explain(signUp.error);

  const signIn = await api.POST("/api/auth/token", { body: { email, password } });
  if (signIn.error) {
    // 401 invalid_credentials, 429 too_many_attempts (Retry-After)
    if (signIn.response.status === 429) return `wait ${signIn.response.headers.get("Retry-After") ?? "?"} s`;
    return explain(signIn.error);
  }
  expectType<Equal<typeof signIn.data.tokenType, string>>();
  const expiresIn: number = signIn.data.expiresIn;
  credentials.accessToken = signIn.data.accessToken;

  const me = await api.GET("/api/users/me");
  if (me.error) return explain(me.error);
  const who: string = `${me.data.name} <${me.data.email}>`;
  console.log(who, expiresIn);

  // Joining needs only the bearer now: no body.
  const joined = await api.POST("/api/queue/tokens");
  if (joined.error) return `${joined.error.code} ${joined.error.traceId}`;
  credentials.queueToken = joined.data.token;
  return me.data.id;
}
