import { supabase } from "../lib/supabase";
import { findOrphanedCalls } from "../lib/call-logger";

const HEARTBEAT_TIMEOUT_MS = 60_000;

/** Closes calls whose heartbeat stopped, in one update for the whole batch. */
export async function sweepOrphanedCalls(now = new Date()): Promise<number> {
  const orphaned = await findOrphanedCalls(new Date(now.getTime() - HEARTBEAT_TIMEOUT_MS));
  if (orphaned.length === 0) return 0;
  const { error } = await supabase
    .from("call_logs")
    .update({ status: "failed", ended_at: now.toISOString(), reconnect_eligible: false })
    .in(
      "id",
      orphaned.map((call) => call.id),
    );
  if (error) throw error;
  return orphaned.length;
}
