// Quoted mixed-case tables and columns (`"DeliveryAttempt"."webhookId"`, the naming Prisma gives by
// default) get the same advice as lower-case ones, from every kind of query: raw SQL in code, the
// postgres.js `sql` tag, supabase-js (which sends every name quoted), `.sql` query files and PL/pgSQL
// bodies. An unquoted SQL name folds to lower case once, as the server folds it, and a client's name is
// matched as written. Every fix quotes what needs quoting, executes, and is what the planner then uses.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { findPatternTable } from "../../src/schema/lookup.js";
import { startPGlite } from "../support/pglite.js";
import { checkQueryIndexFindings, memorySource, replayMigrations } from "./support/audit-oracle.js";

const MIGRATION = `CREATE TABLE "DeliveryAttempt" (id text PRIMARY KEY, "webhookId" text NOT NULL, "createdAt" timestamptz NOT NULL DEFAULT now());
CREATE TABLE "Visit" (id text PRIMARY KEY, "siteId" text NOT NULL, status text NOT NULL, "startedAt" timestamptz NOT NULL);
CREATE TABLE "Invoice" (id text PRIMARY KEY, "customerId" text NOT NULL, "paidAt" timestamptz);
CREATE TABLE "Session" (id text PRIMARY KEY, "expiresAt" timestamptz NOT NULL);
CREATE SCHEMA "Billing";
CREATE TABLE "Billing"."Ledger" (id bigint PRIMARY KEY, "accountId" bigint NOT NULL, "postedAt" timestamptz NOT NULL);
CREATE TABLE Account (Id bigint PRIMARY KEY, Email text NOT NULL);

CREATE FUNCTION purge_sessions() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "Session" WHERE "expiresAt" < now();
END
$$;
`;

const RAW_SQL = `import { Pool } from "pg";
import postgres from "postgres";
const pool = new Pool();
const sql = postgres();

export async function recentAttempts(webhookId: string) {
  return pool.query('SELECT id FROM "DeliveryAttempt" WHERE "webhookId" = $1 ORDER BY "createdAt" DESC LIMIT 20', [webhookId]);
}

export async function ledger(accountId: number, since: Date) {
  return sql\`SELECT id FROM "Billing"."Ledger" WHERE "accountId" = \${accountId} AND "postedAt" >= \${since}\`;
}

export async function accountByEmail(email: string) {
  // Unquoted: the server folds ACCOUNT and EMAIL to account and email.
  return pool.query("SELECT Id FROM ACCOUNT WHERE EMAIL = $1", [email]);
}

export async function foldedAway(webhookId: string) {
  // Unquoted: the server looks for deliveryattempt, which does not exist.
  return pool.query("SELECT id FROM DeliveryAttempt WHERE webhookId = $1", [webhookId]);
}
`;

const SUPABASE = `import { createClient } from "@supabase/supabase-js";
const supabase = createClient("https://example.supabase.co", "anon");

export async function visitsOfSite(siteId: string) {
  return supabase.from("Visit").select("id, status").eq("siteId", siteId).order("startedAt", { ascending: false }).limit(50);
}

export async function ledgerRows(accountId: number) {
  return supabase.schema("Billing").from("Ledger").select("id").eq("accountId", accountId);
}

export async function wrongCase(status: string) {
  // PostgREST sends "visit" as written: no such table.
  return supabase.from("visit").select("id").eq("status", status);
}
`;

const QUERY_FILE = `-- name: UnpaidInvoices :many
SELECT id FROM "Invoice" WHERE "customerId" = $1 AND "paidAt" IS NULL;
`;

const FILES = {
  "db/migrations/001_init.sql": MIGRATION,
  "src/raw.ts": RAW_SQL,
  "src/supabase.ts": SUPABASE,
  "queries/invoices.sql": QUERY_FILE,
};

let result: AuditResult;
let db: PGlite;

beforeAll(async () => {
  result = await audit(memorySource(FILES), { config: DEFAULT_CONFIG });
  db = await startPGlite();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

function fixes(): Record<string, string> {
  return Object.fromEntries(
    result.findings.filter((f) => f.rule === "query-index").map((f) => [`${f.location.file}:${f.location.line}`, f.fix?.sql ?? "(no fix)"]),
  );
}

describe("quoted mixed-case identifiers", () => {
  it("reads every file without a problem", () => {
    expect(result.problems).toEqual([]);
  });

  it("advises on each query with the index PostgreSQL would need, identifiers quoted as they must be", () => {
    expect(fixes()).toEqual({
      // raw SQL through pg
      "src/raw.ts:7": 'CREATE INDEX IF NOT EXISTS idx_deliveryattempt_webhookid_createdat ON "DeliveryAttempt" ("webhookId", "createdAt" DESC);',
      // the postgres.js sql tag, in a quoted schema
      "src/raw.ts:11": 'CREATE INDEX IF NOT EXISTS idx_ledger_accountid_postedat ON "Billing"."Ledger" ("accountId", "postedAt");',
      // an unquoted name folded once
      "src/raw.ts:16": "CREATE INDEX IF NOT EXISTS idx_account_email ON account (email);",
      // supabase-js
      "src/supabase.ts:5": 'CREATE INDEX IF NOT EXISTS idx_visit_siteid_startedat ON "Visit" ("siteId", "startedAt" DESC);',
      // a .sql query file
      "queries/invoices.sql:2": 'CREATE INDEX IF NOT EXISTS idx_invoice_customerid ON "Invoice" ("customerId") WHERE "paidAt" IS NULL;',
      // a PL/pgSQL function body in a migration
      "db/migrations/001_init.sql:11": 'CREATE INDEX IF NOT EXISTS idx_session_expiresat ON "Session" ("expiresAt");',
    });
  });

  it("names the table as the schema has it, schema-qualified", () => {
    const tables = result.findings.filter((f) => f.rule === "query-index").map((f) => `${f.table} (${f.columns.join(", ")})`);
    expect(tables.sort()).toEqual([
      "Billing.Ledger (accountId, postedAt)",
      "public.DeliveryAttempt (webhookId, createdAt)",
      "public.Invoice (customerId)",
      "public.Session (expiresAt)",
      "public.Visit (siteId, startedAt)",
      "public.account (email)",
    ]);
  });

  it("matches a client's name exactly and an unquoted SQL name folded: a name PostgreSQL would not find finds no table", () => {
    const set = result.sets[0];
    const unresolved = set.patterns.filter((p) => !findPatternTable(set.schema, p)).map((p) => `${p.location.file}:${p.location.line} ${p.table}`);
    expect(unresolved.sort()).toEqual(["src/raw.ts:21 deliveryattempt", "src/supabase.ts:14 visit"]);
  });

  it("every fix executes against the replayed migrations; before it no index reaches the query as the new one does, after it the planner uses the new one (generic plans)", async () => {
    await replayMigrations(db, result.sets[0].statements);
    const checks = await checkQueryIndexFindings(db, result);
    expect(checks).toHaveLength(6);
    for (const check of checks) {
      expect(check.queries.length, check.finding.message).toBeGreaterThan(0);
      expect({ fix: check.finding.fix!.sql, servedBefore: check.servedBefore, notServedAfter: check.notServedAfter }).toEqual({
        fix: check.finding.fix!.sql,
        servedBefore: [],
        notServedAfter: [],
      });
    }
  });
});

describe("quoting in every part of a fix", () => {
  const files = {
    "db/migrations/001_init.sql": `CREATE TABLE "Member" (id text PRIMARY KEY, "emailAddress" text NOT NULL, "isActive" boolean NOT NULL, "deletedAt" timestamptz, "Status" text, "order" int, "Select" text);\n`,
    "src/members.ts": `import { Pool } from "pg";
import { createClient } from "@supabase/supabase-js";
const pool = new Pool();
const supabase = createClient("https://example.supabase.co", "anon");
export const byEmail = (e: string) => pool.query('SELECT id FROM "Member" WHERE "isActive" AND "deletedAt" IS NULL AND lower("emailAddress") = $1', [e]);
export const open = () => supabase.from("Member").select("id").eq("Status", "open").order("order").limit(5);
export const bySelect = (s: string) => supabase.from("Member").select("id").eq("Select", s).is("deletedAt", null);
`,
  };

  it("quotes mixed-case and reserved names in keys, expressions and partial predicates; each fix executes and serves its query", async () => {
    const members = await audit(memorySource(files), { config: DEFAULT_CONFIG });
    expect(members.problems).toEqual([]);
    expect(members.findings.filter((f) => f.rule === "query-index").map((f) => f.fix?.sql).sort()).toEqual([
      'CREATE INDEX IF NOT EXISTS idx_member_lower_emailaddress ON "Member" ((lower("emailAddress"))) WHERE "isActive" = true AND "deletedAt" IS NULL;',
      'CREATE INDEX IF NOT EXISTS idx_member_select ON "Member" ("Select") WHERE "deletedAt" IS NULL;',
      'CREATE INDEX IF NOT EXISTS idx_member_status_order ON "Member" ("Status", "order");',
    ]);
    const fresh = await startPGlite();
    try {
      await replayMigrations(fresh, members.sets[0].statements);
      const checks = await checkQueryIndexFindings(fresh, members);
      expect(checks.map((c) => [...c.servedBefore, ...c.notServedAfter])).toEqual([[], [], []]);
    } finally {
      await fresh.close();
    }
  }, 60_000);
});

describe("supabase-js embeds between quoted tables", () => {
  it("resolves the embedded table through its foreign key by exact names, and advises on the embedded side's join column", async () => {
    const embeds = await audit(
      memorySource({
        "db/migrations/001_init.sql": `CREATE TABLE "Order" (id text PRIMARY KEY, "userId" text NOT NULL);
CREATE TABLE "OrderItem" (id text PRIMARY KEY, "orderId" text NOT NULL REFERENCES "Order" (id), quantity int NOT NULL);
CREATE INDEX "Order_userId_idx" ON "Order" ("userId");
`,
        "src/orders.ts": `import { createClient } from "@supabase/supabase-js";
const supabase = createClient("https://example.supabase.co", "anon");
export const ordersOf = (userId: string) => supabase.from("Order").select("id, items:OrderItem(quantity)").eq("userId", userId);
`,
      }),
      { config: DEFAULT_CONFIG },
    );
    const fixes = embeds.findings.filter((f) => f.rule === "query-index").map((f) => f.fix?.sql);
    expect(fixes).toEqual(['CREATE INDEX IF NOT EXISTS idx_orderitem_orderid ON "OrderItem" ("orderId");']);
  });
});

