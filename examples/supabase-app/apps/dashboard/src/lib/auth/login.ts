import { createServerClient } from "../supabase";

/** Resolves the profile of the person signing in, by the email they typed. */
export async function findUserForLogin(email: string) {
  const supabase = createServerClient();
  const { data, error } = await supabase
    .from("users")
    .select("id, organization_id, role, full_name")
    .eq("email", email.trim().toLowerCase())
    .single();
  if (error) return null;
  return data;
}

export async function listOrganizationUsers(organizationId: string) {
  const supabase = createServerClient();
  const { data } = await supabase
    .from("users")
    .select("id, email, full_name, role")
    .eq("organization_id", organizationId)
    .order("full_name");
  return data ?? [];
}
