// A frontend's booking journey, typed by the client generated from GET /openapi/v1.json. It is only compiled
// (tsc --noEmit): if the document mistypes a member, a status or a credential, this stops compiling.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./generated/api";
import "./contract-types";
import { signUpAndIn } from "./journey.auth";
import { checkout } from "./journey.checkout";

/** Both credentials are security schemes, set once here, never per call. */
export const credentials: { accessToken?: string; queueToken?: string } = {};

const sendCredentials: Middleware = {
  onRequest({ request }) {
    if (credentials.accessToken !== undefined) request.headers.set("Authorization", `Bearer ${credentials.accessToken}`);
    if (credentials.queueToken !== undefined) request.headers.set("Queue-Token", credentials.queueToken);
    return request;
  },
};

export function client(baseUrl: string) {
  const api = createClient<paths>({ baseUrl });
  api.use(sendCredentials);
  return api;
}

export type Api = ReturnType<typeof client>;

/** What a UI shows for any failure: the sentence, the stable code to branch on, the trace id to quote. */
export function explain(problem: { status: number; code: string; detail: string; traceId: string; errors?: Record<string, string[]> }): string {
  const fields = Object.entries(problem.errors ?? {}).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
  return [`${problem.status} ${problem.code}: ${problem.detail}`, ...fields, `(trace ${problem.traceId})`].join("\n");
}

const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

export async function journey(api: Api, name: string): Promise<string> {
  // Sign up, sign in (the bearer goes on every call from here), join: journey.auth.ts.
  const signedIn = await signUpAndIn(api, name, `${name}@example.com`, "correct horse battery");
  if (typeof signedIn === "string") return signedIn;
  const userId: number = signedIn;

  const charged = await api.POST("/api/users/{userId}/balance/charges", { params: { path: { userId } }, body: { amount: 200_000 } });
  if (charged.error) return explain(charged.error);
  const balanceBefore: number = charged.data.balance;

  // Joined in signUpAndIn; poll as the answer says until admitted.
  const polled = await api.GET("/api/queue/tokens/current");
  if (polled.error) return explain(polled.error);
  let status = polled.data;
  while (status.status === "waiting") {
    const place: number | null = status.position;
    const eta: number | null = status.estimatedWaitSeconds;
    console.log(`place ${place ?? "?"}, about ${eta ?? "?"} s`);
    await sleep(status.pollAfterSeconds ?? 1);
    const polled = await api.GET("/api/queue/tokens/current");
    if (polled.error) return explain(polled.error);
    status = polled.data;
  }
  if (status.status !== "active") return `token ${status.status}`;
  const activeUntil: Date | null = status.expiresAt === null ? null : new Date(status.expiresAt);

  // Seats.
  const concerts = await api.GET("/api/concerts");
  const concert = concerts.data?.[0];
  if (!concert) return "no concert on sale";
  const schedules = await api.GET("/api/concerts/{concertId}/schedules", { params: { path: { concertId: concert.id } } });
  if (schedules.error) return explain(schedules.error);
  const schedule = schedules.data[0];
  if (!schedule) return "no schedule";
  const startsAt = new Date(schedule.startsAt);
  const seats = await api.GET("/api/concerts/{concertId}/schedules/{scheduleId}/seats", {
    params: { path: { concertId: concert.id, scheduleId: schedule.id } },
  });
  if (seats.error) return explain(seats.error);
  const free = seats.data.find((seat) => seat.status === "available");
  if (!free) return "sold out";

  // Hold; a taken seat is a 409 whose code the UI branches on.
  const hold = await api.POST("/api/reservations", { body: { seatId: free.id } });
  if (hold.error) {
    if (hold.response.status === 409 && hold.error.code === "seat_unavailable") return "someone was faster";
    return explain(hold.error);
  }
  const reservation = hold.data;
  const heldUntil = new Date(reservation.heldUntil);
  const notPaidYet: null = reservation.paidAt === null ? null : null;

  // Pay every held seat in one checkout (journey.checkout.ts).
  const paid = await checkout(api, [reservation.id], `order-${reservation.id}`);
  const paidAt = new Date();
  console.log(paid);

  // Balance and history: a payment entry carries its paymentId, a charge null.
  const balance = await api.GET("/api/users/{userId}/balance", { params: { path: { userId } } });
  const history = await api.GET("/api/users/{userId}/balance/history", { params: { path: { userId }, query: { limit: 10 } } });
  if (balance.error || history.error) return explain((balance.error ?? history.error)!);
  const payments = history.data.filter((entry) => entry.paymentId !== null).map((entry) => new Date(entry.createdAt));
  const reservations = await api.GET("/api/users/{userId}/reservations", { params: { path: { userId } } });
  const confirmed = reservations.data?.filter((r) => r.status === "confirmed" && r.paidAt !== null).length ?? 0;

  // A validation problem names the fields.
  const refused = await api.POST("/api/users/{userId}/balance/charges", { params: { path: { userId } }, body: { amount: 0 } });
  const fields = refused.error && "errors" in refused.error ? Object.keys(refused.error.errors ?? {}) : [];
  const refusal = refused.error ? `${refused.error.code} ${fields.join(",")} ${refused.error.traceId}` : "";

  // Leaving the queue (the payment already expired the token; leaving again is a 204 too).
  const left = await api.DELETE("/api/queue/tokens/current");
  const leftStatus: number = left.response.status;

  return [activeUntil, startsAt, heldUntil, notPaidYet, paidAt, balanceBefore, balance.data.balance, payments.length, confirmed, refusal, leftStatus].join(" ");
}
