import { pool } from "./db";

export interface OrderSummary {
  id: string;
  status: "PENDING" | "PAID" | "SHIPPED" | "CANCELLED";
  totalCents: number;
  createdAt: Date;
}

/** The order history page: a customer's latest orders, newest first. */
export async function listOrdersForUser(userId: string, limit = 20): Promise<OrderSummary[]> {
  const { rows } = await pool.query<OrderSummary>(
    `SELECT "id", "status", "totalCents", "createdAt"
       FROM "Order"
      WHERE "userId" = $1
      ORDER BY "createdAt" DESC
      LIMIT $2`,
    [userId, limit],
  );
  return rows;
}

/** The warehouse queue: paid orders, oldest first. */
export async function ordersToShip(limit = 100): Promise<Array<{ id: string; userId: string }>> {
  const { rows } = await pool.query(
    `SELECT "id", "userId"
       FROM "Order"
      WHERE "status" = 'PAID'
      ORDER BY "createdAt"
      LIMIT $1`,
    [limit],
  );
  return rows;
}

export async function markShipped(orderId: string): Promise<void> {
  await pool.query(`UPDATE "Order" SET "status" = 'SHIPPED' WHERE "id" = $1`, [orderId]);
}
