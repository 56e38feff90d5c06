import { supabase } from "./supabase";

/** The session an agent has open right now, if any. */
export async function getActiveSession(agentId: string) {
  const { data } = await supabase
    .from("agent_sessions")
    .select("id, started_at")
    .eq("agent_id", agentId)
    .is("ended_at", null)
    .maybeSingle();
  return data;
}

export async function startSession(organizationId: string, agentId: string) {
  const { data, error } = await supabase
    .from("agent_sessions")
    .insert({ organization_id: organizationId, agent_id: agentId })
    .select("id")
    .single();
  if (error) throw error;
  return data;
}

export async function endSession(sessionId: string, durationSeconds: number) {
  await supabase
    .from("agent_sessions")
    .update({ ended_at: new Date().toISOString(), duration_seconds: durationSeconds })
    .eq("id", sessionId);
}

export async function recordStatusChange(organizationId: string, agentId: string, from: string | null, to: string) {
  await supabase
    .from("agent_status_changes")
    .insert({ organization_id: organizationId, agent_id: agentId, from_status: from, to_status: to });
}

/** Time an agent spent in one status since a moment, for the agent's own stats card. */
export async function getStatusChangesSince(agentId: string, status: string, since: string) {
  const { data } = await supabase
    .from("agent_status_changes")
    .select("changed_at, from_status, to_status")
    .eq("agent_id", agentId)
    .eq("to_status", status)
    .gte("changed_at", since)
    .order("changed_at", { ascending: false })
    .limit(500);
  return data ?? [];
}

/** Agents available in a pool, best priority first: one query with the profile embedded. */
export async function getPoolAgents(poolId: string) {
  const { data } = await supabase
    .from("agent_pool_members")
    .select("priority, agent:agent_profiles(id, display_name, status)")
    .eq("pool_id", poolId)
    .order("priority", { ascending: true });
  return data ?? [];
}
