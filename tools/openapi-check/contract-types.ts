// Type-level facts the contract promises; each line fails to compile if the generated client says otherwise
// (a timestamp typed `unknown`, a nullable member typed non-null, a missing problem member).
import type { paths } from "./generated/api";

export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export function expectType<T extends true>(): T | void {}

type Json<P extends keyof paths, M extends keyof paths[P], S extends number> =
  paths[P][M] extends { responses: { [K in S]: { content: { "application/json": infer B } } } } ? B : never;
type ProblemOf<P extends keyof paths, M extends keyof paths[P], S extends number> =
  paths[P][M] extends { responses: { [K in S]: { content: { "application/problem+json": infer B } } } } ? B : never;

export type QueueStatus = Json<"/api/queue/tokens/current", "get", 200>;
export type Reservation = Json<"/api/reservations", "post", 201>;
export type BalanceEntry = Json<"/api/users/{userId}/balance/history", "get", 200>[number];
export type Seat = Json<"/api/concerts/{concertId}/schedules/{scheduleId}/seats", "get", 200>[number];
export type Schedule = Json<"/api/concerts/{concertId}/schedules", "get", 200>[number];
export type WaitingRoom = Json<"/api/waiting-room", "get", 200>;
export type Draw = Json<"/api/waiting-room/draw", "get", 200>;
export type Problem = ProblemOf<"/api/reservations", "post", 409>;
export type ValidationProblem = ProblemOf<"/api/reservations", "post", 400>;

expectType<Equal<QueueStatus["status"] extends string ? true : false, true>>();
expectType<Equal<QueueStatus["position"], number | null>>();
expectType<Equal<QueueStatus["estimatedWaitSeconds"], number | null>>();
expectType<Equal<QueueStatus["pollAfterSeconds"], number | null>>();
expectType<Equal<QueueStatus["activatedAt"], string | null>>();
expectType<Equal<QueueStatus["expiresAt"], string | null>>();
expectType<Equal<QueueStatus["token"], string>>();
expectType<Equal<QueueStatus["opensAt"], string | null>>();
expectType<Equal<QueueStatus["status"], "waiting" | "active" | "expired" | "prequeue">>();
expectType<Equal<WaitingRoom["state"], "scheduled" | "open" | "paused">>();
expectType<Equal<WaitingRoom["opensAt"], string | null>>();
expectType<Equal<WaitingRoom["maxActiveTokens"], number>>();
expectType<Equal<WaitingRoom["prequeueCount"], number>>();
expectType<Equal<NonNullable<WaitingRoom["draw"]>["seed"], string | null>>();
expectType<Equal<NonNullable<WaitingRoom["draw"]>["commitment"], string>>();
expectType<Equal<Draw["scores"], string[]>>();
expectType<Equal<Draw["total"], number>>();
expectType<Equal<Draw["drawnAt"], string | null>>();
expectType<Equal<Reservation["id"], number>>();
expectType<Equal<Reservation["heldUntil"], string>>();
expectType<Equal<Reservation["createdAt"], string>>();
expectType<Equal<Reservation["paidAt"], string | null>>();
expectType<Equal<Reservation["status"], "held" | "confirmed" | "expired" | "cancelled">>();
expectType<Equal<BalanceEntry["createdAt"], string>>();
expectType<Equal<BalanceEntry["paymentId"], number | null>>();
expectType<Equal<BalanceEntry["kind"], "charge" | "payment">>();
expectType<Equal<Seat["status"], "available" | "held" | "sold">>();
expectType<Equal<Schedule["startsAt"], string>>();
expectType<Equal<Problem["code"], string>>();
expectType<Equal<Problem["traceId"], string>>();
expectType<Equal<Problem["detail"], string>>();
expectType<Equal<Problem["status"], number>>();
expectType<Equal<ValidationProblem["code"], string>>();
expectType<Equal<NonNullable<ValidationProblem["errors"]>, { [key: string]: string[] }>>();
