import { supabase } from "./db";

/** The lines of one order, for the order detail page. */
export async function orderItems(orderId: string) {
  const { data, error } = await supabase
    .from("OrderItem")
    .select("id, quantity, unitPriceCents, productId")
    .eq("orderId", orderId);
  if (error) throw error;
  return data;
}

/** Sign-in: the account for an email address. */
export async function userByEmail(email: string) {
  const { data, error } = await supabase.from("User").select("id, name").eq("email", email).single();
  if (error) throw error;
  return data;
}
