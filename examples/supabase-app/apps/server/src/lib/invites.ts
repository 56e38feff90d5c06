import { supabase } from "./supabase";

export async function getInviteByToken(token: string) {
  const { data, error } = await supabase
    .from("invites")
    .select("id, organization_id, email, role, expires_at, accepted_at")
    .eq("token", token)
    .single();
  if (error) return null;
  return data;
}

export async function acceptInvite(inviteId: string) {
  await supabase.from("invites").update({ accepted_at: new Date().toISOString() }).eq("id", inviteId);
}

export async function listPendingInvites(organizationId: string) {
  const { data } = await supabase
    .from("invites")
    .select("id, email, role, expires_at")
    .eq("organization_id", organizationId)
    .is("accepted_at", null)
    .order("created_at", { ascending: false })
    .limit(100);
  return data ?? [];
}
