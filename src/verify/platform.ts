// Stand-ins for what a hosting platform or a missing extension provides before any migration runs.
// They hold just enough for the migrations to replay and the planner to plan: names, columns and
// signatures, never behaviour. A statement that fails because a stand-in is thin is never reported as
// the user's: it is skipped and listed.
import type { Framework, Statement } from "../core/types.js";

/**
 * Supabase's platform objects, as a hosted project has them before the first migration: the `auth` and
 * `storage` schemas with the tables and helper functions policies and triggers name, Realtime's `messages`
 * table (Realtime Authorization policies are written on it) and `realtime.topic()`, the `extensions`
 * schema on the search path, the standard roles and the `supabase_realtime` publication.
 * Source: Supabase's documentation (Auth "Users", Storage "Schema design", Realtime "Authorization", "Postgres Roles").
 */
export const SUPABASE_STAND_INS = `
DO $$ BEGIN
  CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN; CREATE ROLE service_role NOLOGIN BYPASSRLS;
  CREATE ROLE supabase_admin; CREATE ROLE supabase_auth_admin; CREATE ROLE supabase_storage_admin;
  CREATE ROLE authenticator NOINHERIT; CREATE ROLE dashboard_user; CREATE ROLE pgbouncer;
  CREATE ROLE supabase_realtime_admin; CREATE ROLE supabase_replication_admin; CREATE ROLE supabase_read_only_user;
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS storage;
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE SCHEMA IF NOT EXISTS graphql_public;
CREATE TABLE IF NOT EXISTS auth.users (
  instance_id uuid, id uuid PRIMARY KEY, aud varchar(255), role varchar(255), email varchar(255),
  encrypted_password varchar(255), email_confirmed_at timestamptz, invited_at timestamptz,
  confirmation_token varchar(255), confirmation_sent_at timestamptz, recovery_token varchar(255),
  recovery_sent_at timestamptz, last_sign_in_at timestamptz, raw_app_meta_data jsonb, raw_user_meta_data jsonb,
  is_super_admin boolean, created_at timestamptz, updated_at timestamptz, phone text UNIQUE, phone_confirmed_at timestamptz,
  confirmed_at timestamptz, banned_until timestamptz, deleted_at timestamptz, is_anonymous boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS auth.identities (
  id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE, provider text NOT NULL,
  provider_id text NOT NULL, identity_data jsonb NOT NULL, email text, created_at timestamptz, updated_at timestamptz
);
CREATE TABLE IF NOT EXISTS auth.sessions (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE, created_at timestamptz);
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
  $f$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $f$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS
  $f$ SELECT nullif(current_setting('request.jwt.claim.role', true), '')::text $f$;
CREATE OR REPLACE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS
  $f$ SELECT nullif(current_setting('request.jwt.claim.email', true), '')::text $f$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS
  $f$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $f$;
CREATE TABLE IF NOT EXISTS storage.buckets (
  id text PRIMARY KEY, name text NOT NULL UNIQUE, owner uuid, owner_id text, public boolean DEFAULT false,
  file_size_limit bigint, allowed_mime_types text[], created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now()
);
CREATE TABLE IF NOT EXISTS storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets(id), name text, owner uuid, owner_id text,
  metadata jsonb, user_metadata jsonb, path_tokens text[], version text,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(), last_accessed_at timestamptz DEFAULT now()
);
CREATE TABLE IF NOT EXISTS realtime.messages (
  id uuid NOT NULL DEFAULT gen_random_uuid(), topic text NOT NULL, extension text NOT NULL, payload jsonb, event text,
  private boolean DEFAULT false, updated_at timestamp NOT NULL DEFAULT now(), inserted_at timestamp NOT NULL DEFAULT now(),
  PRIMARY KEY (id, inserted_at)
);
CREATE OR REPLACE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS
  $f$ SELECT nullif(current_setting('realtime.topic', true), '')::text $f$;
CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS
  $f$ SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $f$;
CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $f$ SELECT (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)] $f$;
CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $f$ SELECT reverse(split_part(reverse(name), '.', 1)) $f$;
DO $$ BEGIN CREATE PUBLICATION supabase_realtime; EXCEPTION WHEN OTHERS THEN NULL; END $$;
SET search_path TO "$user", public, extensions;
`;

/** Extensions a hosted Supabase project has installed before any migration (into `extensions`). */
export const SUPABASE_PREINSTALLED = ["uuid-ossp", "pgcrypto"];

/** True when the stage should lay out Supabase's platform objects for this set. */
export function wantsSupabase(framework: Framework, statements: readonly Statement[]): boolean {
  return framework === "supabase" || statements.some((s) => /\b(auth\.(uid|users|jwt|role)|storage\.(objects|buckets)|realtime\.(messages|topic))\b/i.test(s.sql));
}

/**
 * Extensions PGlite lacks, with a stand-in to create in their place (run when their `CREATE EXTENSION`
 * is met) and the words that mark a statement as needing the real extension. A failing statement that
 * names one of them is skipped and listed, not reported.
 */
export interface MissingExtension {
  standIn: string;
  marks: RegExp;
}

const MISSING: Record<string, MissingExtension> = {
  // pgvector: a domain over real[] keeps the column, so the table replays; `vector(1536)` is read as
  // `vector` (a domain takes no type modifier) and vector indexes and operators are skipped.
  vector: {
    standIn: "DO $$ BEGIN CREATE DOMAIN vector AS real[]; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    marks: /\b(vector|halfvec|sparsevec|hnsw|ivfflat|vector_\w+_ops)\b|<=>|<->|<#>/i,
  },
  postgis: { standIn: "", marks: /\b(geometry|geography|st_\w+|gist_geometry_ops\w*)\b/i },
  pg_cron: { standIn: "CREATE SCHEMA IF NOT EXISTS cron", marks: /\bcron\./i },
  pg_net: { standIn: "CREATE SCHEMA IF NOT EXISTS net", marks: /\bnet\./i },
  pgsodium: { standIn: "CREATE SCHEMA IF NOT EXISTS pgsodium", marks: /\bpgsodium\b/i },
  supabase_vault: { standIn: "CREATE SCHEMA IF NOT EXISTS vault", marks: /\bvault\./i },
  pg_graphql: { standIn: "CREATE SCHEMA IF NOT EXISTS graphql", marks: /\bgraphql\b/i },
  pg_jsonschema: { standIn: "", marks: /\b(json_matches_schema|jsonb_matches_schema)\b/i },
  pg_stat_statements: { standIn: "", marks: /\bpg_stat_statements\b/i },
  http: { standIn: "", marks: /\bhttp(_\w+)?\s*\(/i },
  pgjwt: { standIn: "", marks: /\b(sign|verify)\s*\(/i },
  timescaledb: { standIn: "", marks: /\b(create_hypertable|add_retention_policy|time_bucket)\b/i },
};

/** The stand-in for an extension PGlite does not ship; unknown extensions get an empty one. */
export function missingExtension(name: string): MissingExtension {
  return MISSING[name] ?? { standIn: "", marks: new RegExp(`\\b${name.replace(/[^a-z0-9_]/gi, "")}\\b`, "i") };
}

/** `vector(1536)` -> `vector`: the stand-in domain takes no type modifier. */
export function withoutVectorModifiers(sql: string): string {
  return sql.replace(/\b(vector|halfvec|sparsevec)\s*\(\s*\d+\s*\)/gi, "$1");
}
