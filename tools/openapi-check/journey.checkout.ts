// The contract's one-checkout payment (API.md, "Reservations and payments").
import type { Api } from "./journey";

export async function checkout(api: Api, reservationIds: number[], orderId: string): Promise<string> {
  const paid = await api.POST("/api/payments", {
    params: { header: { "Idempotency-Key": orderId } },
    body: { reservationIds },
  });
  if (paid.error) return `${paid.error.code} (trace ${paid.error.traceId})`;
  const paidIds: number[] = paid.data.reservationIds;
  const paidAt = new Date(paid.data.paidAt);
  return `${paidIds.join(",")} for ${paid.data.amount} won at ${paidAt.toISOString()}, balance ${paid.data.balance}`;
}
