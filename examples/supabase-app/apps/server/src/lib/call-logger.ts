import { supabase } from "./supabase";

const CALL_LOGS = "call_logs";

export type CallStatus = "pending" | "ringing" | "accepted" | "completed" | "missed" | "rejected" | "failed";

export interface CallLog {
  id: string;
  organization_id: string;
  site_id: string | null;
  agent_id: string | null;
  pool_id: string | null;
  status: CallStatus;
  page_url: string | null;
  reconnect_token: string | null;
  reconnect_eligible: boolean;
  answered_at: string | null;
  ended_at: string | null;
  created_at: string;
}

/** Records a new call attempt as soon as the visitor presses the call button. */
export async function createCallLog(input: {
  organizationId: string;
  siteId: string;
  poolId: string | null;
  pageUrl: string;
  visitorId: string;
  countryCode: string | null;
}): Promise<CallLog> {
  const { data, error } = await supabase
    .from(CALL_LOGS)
    .insert({
      organization_id: input.organizationId,
      site_id: input.siteId,
      pool_id: input.poolId,
      page_url: input.pageUrl,
      visitor_id: input.visitorId,
      visitor_country_code: input.countryCode,
      status: "pending",
    })
    .select()
    .single();
  if (error) throw error;
  return data as CallLog;
}

/** An agent picked up: remember who, and hand the visitor a token to rejoin after a drop. */
export async function markCallAccepted(callId: string, agentId: string, reconnectToken: string): Promise<void> {
  const { error } = await supabase
    .from(CALL_LOGS)
    .update({
      status: "accepted",
      agent_id: agentId,
      answered_at: new Date().toISOString(),
      reconnect_token: reconnectToken,
      reconnect_eligible: true,
    })
    .eq("id", callId);
  if (error) throw error;
}

export async function markCallEnded(callId: string, status: CallStatus, durationSeconds: number): Promise<void> {
  const { error } = await supabase
    .from(CALL_LOGS)
    .update({ status, ended_at: new Date().toISOString(), duration_seconds: durationSeconds, reconnect_eligible: false })
    .eq("id", callId);
  if (error) throw error;
}

/** Heartbeats keep an accepted call alive; a call without one for 60 s is treated as orphaned. */
export async function recordHeartbeat(callId: string): Promise<void> {
  await supabase.from(CALL_LOGS).update({ last_heartbeat_at: new Date().toISOString() }).eq("id", callId);
}

/** Finds the live call a reconnecting visitor belongs to. */
export async function getCallByReconnectToken(token: string): Promise<CallLog | null> {
  const { data, error } = await supabase
    .from("call_logs")
    .select("id, organization_id, agent_id, pool_id, status, page_url, answered_at")
    .eq("reconnect_token", token)
    .eq("status", "accepted")
    .eq("reconnect_eligible", true)
    .is("ended_at", null)
    .single();
  if (error) return null;
  return data as CallLog;
}

/** Calls whose heartbeat stopped: the server restarts them or closes them. */
export async function findOrphanedCalls(staleBefore: Date): Promise<CallLog[]> {
  const { data, error } = await supabase
    .from(CALL_LOGS)
    .select("*")
    .eq("status", "accepted")
    .is("ended_at", null)
    .lt("last_heartbeat_at", staleBefore.toISOString())
    .order("last_heartbeat_at", { ascending: true })
    .limit(100);
  if (error) throw error;
  return (data ?? []) as CallLog[];
}
