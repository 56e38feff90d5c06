// The three ways the storefront reaches PostgreSQL: a pg pool for hand-written SQL, postgres.js for
// tagged-template queries in the reporting code, and supabase-js (PostgREST) for the customer pages.
import { createClient } from "@supabase/supabase-js";
import { Pool } from "pg";
import postgres from "postgres";

export const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export const sql = postgres(process.env.DATABASE_URL ?? "");

export const supabase = createClient(process.env.SUPABASE_URL ?? "", process.env.SUPABASE_ANON_KEY ?? "");
