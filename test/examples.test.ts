// The bundled example repositories, audited as a user would audit them (their own config file), with
// PostgreSQL (PGlite) as the judge: their migrations replay into the server, every query-index finding's
// queries are served by no index before its fix and by the new index after it (generic plans, the
// planner tests' method), and every fix.sql executes where its placement puts it.
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../src/audit.js";
import { loadConfig } from "../src/config/load.js";
import type { Finding, Statement } from "../src/core/types.js";
import { fsSource } from "../src/source/fs-source.js";
import { resetDatabase } from "./schema/catalog.js";
import { checkQueryIndexFindings, executeFix, replayMigrations } from "./queries/support/audit-oracle.js";
import { startPGlite } from "./support/pglite.js";

const EXAMPLES = join(import.meta.dirname, "../examples");

interface Example {
  name: string;
  /** What the platform creates outside the migrations (Supabase's auth schema). */
  platform: string;
}

const examples: Example[] = [
  { name: "supabase-app", platform: "CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);" },
  { name: "prisma-storefront", platform: "" },
];

let db: PGlite;
const results = new Map<string, AuditResult>();

async function auditExample(name: string): Promise<AuditResult> {
  const cached = results.get(name);
  if (cached) return cached;
  const root = join(EXAMPLES, name);
  const loaded = await loadConfig({ root });
  if (!loaded.ok) throw new Error(loaded.message);
  const result = await audit(fsSource(root), { config: loaded.config });
  results.set(name, result);
  return result;
}

async function freshDatabase(example: Example, statements: Statement[]): Promise<void> {
  await resetDatabase(db);
  if (example.platform) await db.exec(example.platform);
  await replayMigrations(db, statements);
}

/** `rule table (columns) severity`, the shape a reader scans the report for. */
function summary(f: Finding): string {
  return `${f.rule} ${f.table} (${f.columns.join(", ")}) ${f.severity}`;
}

beforeAll(async () => {
  db = await startPGlite();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe.each(examples.map((e) => [e.name, e] as const))("examples/%s", (_name, example) => {
  it("is read without a problem", async () => {
    const result = await auditExample(example.name);
    expect(result.problems).toEqual([]);
    expect(result.sets).toHaveLength(1);
  });

  it("every query-index fix executes: before it no index reaches its queries as the new one does, after it the planner uses the new one (generic plans)", async () => {
    const result = await auditExample(example.name);
    await freshDatabase(example, result.sets[0].statements);
    const checks = await checkQueryIndexFindings(db, result);
    expect(checks.length).toBeGreaterThan(0);
    for (const check of checks) {
      expect(check.queries.length, check.finding.message).toBeGreaterThan(0);
      expect({ fix: check.finding.fix!.sql, servedBefore: check.servedBefore, notServedAfter: check.notServedAfter }).toEqual({
        fix: check.finding.fix!.sql,
        servedBefore: [],
        notServedAfter: [],
      });
    }
  });

  it("every other fix executes where it goes: after the migrations, or in place of the statement it rewrites", async () => {
    const result = await auditExample(example.name);
    const statements = result.sets[0].statements;
    const others = result.findings.filter((f) => f.fix && f.rule !== "query-index");
    expect(others.length).toBeGreaterThan(0);
    await freshDatabase(example, statements);
    for (const finding of others.filter((f) => f.fix!.placement !== "replace")) {
      await expect(executeFix(db, finding.fix!.sql).then(() => "ok"), `${summary(finding)}\n${finding.fix!.sql}`).resolves.toBe("ok");
    }
    for (const finding of others.filter((f) => f.fix!.placement === "replace")) {
      const at = statements.findIndex((s) => s.location.file === finding.location.file && s.location.line === finding.location.line);
      expect(at, `${summary(finding)}: no statement at ${finding.location.file}:${finding.location.line}`).toBeGreaterThanOrEqual(0);
      await resetDatabase(db);
      if (example.platform) await db.exec(example.platform);
      await replayMigrations(db, statements.slice(0, at));
      await expect(executeFix(db, finding.fix!.sql).then(() => "ok"), `${summary(finding)}\n${finding.fix!.sql}`).resolves.toBe("ok");
      await replayMigrations(db, statements.slice(at + 1));
    }
  });
});

describe("examples/supabase-app: the findings its application is built to show", () => {
  it("reports its missing indexes, its unindexed foreign key and its partitioning advice, at its severities", async () => {
    const found = (await auditExample("supabase-app")).findings.map(summary);
    expect(found).toEqual(
      expect.arrayContaining([
        "query-index public.call_logs (reconnect_token) important",
        "query-index public.invites (expires_at) important",
        "query-index public.users (email) routine",
        "partition-candidate public.widget_pageviews (created_at) routine",
        "fk-index public.call_logs (site_id) routine",
      ]),
    );
  });
});

describe("examples/prisma-storefront: quoted mixed-case tables", () => {
  it("advises the four missing indexes, quoted as PostgreSQL needs, and leaves the served queries alone", async () => {
    const result = await auditExample("prisma-storefront");
    const queryIndex = result.findings.filter((f) => f.rule === "query-index");
    expect(queryIndex.map((f) => `${f.location.file}:${f.location.line} ${f.fix?.sql}`).sort()).toEqual([
      'src/jobs/expire-sessions.ts:5 CREATE INDEX IF NOT EXISTS idx_session_expiresat ON "Session" ("expiresAt");',
      'src/lib/orders.ts:13 CREATE INDEX IF NOT EXISTS idx_order_userid_createdat ON "Order" ("userId", "createdAt" DESC);',
      'src/lib/reviews.ts:5 CREATE INDEX IF NOT EXISTS idx_review_productid_createdat ON "Review" ("productId", "createdAt" DESC) WHERE hidden = false;',
      'src/lib/storefront.ts:6 CREATE INDEX IF NOT EXISTS idx_orderitem_orderid ON "OrderItem" ("orderId");',
    ]);
    // The warehouse queue, the sign-in lookup and a customer's reviews are served by the migrations' indexes.
    const served = ["ordersToShip", "userByEmail", "reviewsByAuthor"];
    const patterns = result.sets[0].patterns.filter((p) => served.includes(p.functionName ?? ""));
    expect(patterns.map((p) => p.functionName).sort()).toEqual([...served].sort());
    const sites = new Set(queryIndex.flatMap((f) => [f.location, ...(f.related ?? [])]).map((l) => `${l.file}:${l.line}`));
    for (const p of patterns) expect(sites.has(`${p.location.file}:${p.location.line}`), p.functionName).toBe(false);
  });

  it("reports the foreign key no index covers and no query reads by", async () => {
    const found = (await auditExample("prisma-storefront")).findings.map(summary);
    expect(found).toContain('fk-index public.OrderItem (productId) important');
  });
});
