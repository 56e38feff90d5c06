import { pool } from "../lib/db";

/** Runs every few minutes: removes the sessions that have expired. */
export async function expireSessions(): Promise<number> {
  const result = await pool.query(`DELETE FROM "Session" WHERE "expiresAt" < now()`);
  return result.rowCount ?? 0;
}
