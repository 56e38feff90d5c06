// The Prisma, Drizzle and Kysely examples, audited as a user would run them, with PostgreSQL as the judge:
// the migrations replayed into PGlite, every fix executed there, and every recommended index planned
// under a generic plan (these clients bind their values as parameters) for each query it is said to serve.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../../src/audit.js";
import { loadConfig } from "../../../src/config/load.js";
import type { AccessPattern, Finding } from "../../../src/core/types.js";
import { ALL_RULES } from "../../../src/rules/index.js";
import { fsSource } from "../../../src/source/fs-source.js";
import { parseSql } from "../../../src/sql/parser.js";
import { startPGlite } from "../../support/pglite.js";

const ROOT = join(import.meta.dirname, "../../../examples");

async function auditExample(name: string): Promise<AuditResult> {
  const root = join(ROOT, name);
  const loaded = await loadConfig({ root, knownRules: ALL_RULES.map((r) => r.id) });
  if (!loaded.ok) throw new Error(loaded.message);
  return audit(fsSource(root), { config: loaded.config });
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The SELECT a pattern stands for, parameters where the client binds them (enum values as Prisma casts them). */
function render(pattern: AccessPattern): { sql: string; params: number } {
  let n = 0;
  const param = (castTo?: string) => (castTo ? `CAST($${++n}::text AS ${quote(castTo)})` : `$${++n}`);
  const where: string[] = [];
  for (const p of pattern.predicates) {
    if (!p.column) continue;
    const c = quote(p.column);
    const value = () => (p.sentAs === "literal" ? p.value! : param(p.castTo));
    if (p.op === "eq") where.push(`${c} = ${value()}`);
    else if (p.op === "range") where.push(`${c} ${p.operator} ${value()}`);
    else if (p.op === "in") where.push(`${c} = ANY(${param()})`);
    else if (p.op === "is-null") where.push(`${c} IS NULL`);
    else if (p.op === "is-not-null") where.push(`${c} IS NOT NULL`);
    else if (p.op === "bool") where.push(p.value === "false" ? `NOT ${c}` : c);
  }
  // The table exactly as the client names it, quoted as the client sends it.
  const relation = pattern.relation ?? { name: pattern.table };
  let sql = `SELECT * FROM ${relation.schema ? `${quote(relation.schema)}.` : ""}${quote(relation.name)}`;
  if (where.length) sql += ` WHERE ${where.join(" AND ")}`;
  if (pattern.orderBy.length) sql += ` ORDER BY ${pattern.orderBy.map((o) => `${quote(o.column!)}${o.descending ? " DESC" : ""}`).join(", ")}`;
  if (pattern.limited) sql += " LIMIT 20";
  return { sql, params: n };
}

interface Scan {
  index: string;
  cond: string;
}

function scans(plan: any, out: Scan[] = []): Scan[] {
  if (plan["Index Name"]) out.push({ index: plan["Index Name"], cond: plan["Index Cond"] ?? "" });
  for (const child of plan.Plans ?? []) scans(child, out);
  return out;
}

let counter = 0;
/** Index scans of the pattern's query under a generic plan. */
async function plannedScans(db: PGlite, pattern: AccessPattern): Promise<Scan[]> {
  const { sql, params } = render(pattern);
  const name = `q${++counter}`;
  await db.exec(`PREPARE ${name} AS ${sql}`);
  try {
    const args = params ? `(${Array.from({ length: params }, () => "NULL").join(", ")})` : "";
    const result = await db.query<{ "QUERY PLAN": any }>(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${args}`);
    return scans(result.rows[0]["QUERY PLAN"][0].Plan);
  } finally {
    await db.exec(`DEALLOCATE ${name}`);
  }
}

const at = (f: { location: { file: string; line: number } }) => `${f.location.file}:${f.location.line}`;

/** Replays the example's migrations, then checks every fix and every recommended index against the planner. */
async function checkAgainstPlanner(name: string, result: AuditResult): Promise<void> {
  const db = await startPGlite();
  try {
    const set = result.sets[0];
    for (const file of set.set.files) await db.exec(readFileSync(join(ROOT, name, file.path), "utf8"));
    await db.exec("SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan;");
    // Each recommended index beside the migrations' own, planned for the queries it is said to serve.
    for (const finding of result.findings.filter((f) => f.rule === "query-index" && f.fix)) {
      const statements = fixStatements(finding.fix!.sql);
      for (const statement of statements) await db.exec(statement.sql);
      const index = statements.find((s) => s.creates)!.creates!;
      const sites = new Set([at(finding), ...(finding.related ?? []).map((l) => `${l.file}:${l.line}`)]);
      const served = set.patterns.filter((p) => sites.has(at(p)) && `public.${p.table.replace(/"/g, "")}` === finding.table);
      expect(served.length, finding.message).toBeGreaterThan(0);
      for (const pattern of served) {
        const used = (await plannedScans(db, pattern)).filter((s) => s.index === index);
        expect(used.length, `${render(pattern).sql} uses ${index}`).toBeGreaterThan(0);
        expect(used.map((s) => s.cond).join(" "), render(pattern).sql).toContain(finding.columns[0]);
      }
    }
    // Then every other fix runs too.
    for (const finding of result.findings.filter((f) => f.fix && f.rule !== "query-index")) {
      // A statement rewritten in place replaces the one the migrations already ran.
      if (finding.fix!.placement === "replace") {
        const index = /INDEX\s+(?:CONCURRENTLY\s+)?(?:IF NOT EXISTS\s+)?("[^"]+"|\w+)/i.exec(finding.fix!.sql)?.[1];
        if (index) await db.exec(`DROP INDEX ${index}`);
      }
      for (const statement of fixStatements(finding.fix!.sql)) {
        await expect(db.exec(statement.sql), `${finding.rule} ${finding.fix!.sql}`).resolves.toBeDefined();
      }
    }
  } finally {
    await db.close();
  }
}

/** A fix's statements, each on its own (CREATE INDEX CONCURRENTLY cannot share a transaction), and the index each creates. */
function fixStatements(sql: string): Array<{ sql: string; creates?: string }> {
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(`fix does not parse: ${sql}`);
  return parsed.statements.map((s) => ({ sql: sql.slice(s.start, s.end), creates: s.ast.IndexStmt?.idxname }));
}

/** Rule, table, place, and the fix as the user applies it: the declared schema's line where there is one, else the SQL. */
function summary(findings: Finding[]): string[] {
  const fixText = (f: Finding) => (f.fix?.declared?.text ? `${f.fix.declared.action} ${f.fix.declared.file}:${f.fix.declared.line} ${f.fix.declared.text}` : (f.fix?.sql.replace(/^CREATE INDEX (?:CONCURRENTLY )?IF NOT EXISTS \S+ /, "") ?? ""));
  return findings.map((f) => `${f.rule} ${f.table} ${f.location.file}:${f.location.line} ${fixText(f)}`.trim());
}

describe("examples/prisma-app", () => {
  let result: AuditResult;
  beforeAll(async () => {
    result = await auditExample("prisma-app");
  }, 60_000);

  it("reads the Prisma Client calls in the database's names", () => {
    expect(result.stats.patterns).toBeGreaterThanOrEqual(8);
    expect(result.sets[0].patterns.every((p) => p.source === "prisma")).toBe(true);
  });

  it("advises the unserved query, the relation read by its scalar and the N+1; the unique lookup is left alone", () => {
    const found = summary(result.findings.filter((f) => f.rule === "query-index" || f.rule === "n-plus-one"));
    expect(found).toEqual([
      "query-index public.Invoice src/invoices/list.ts:6 add prisma/schema.prisma:98 @@index([customerId, status, dueAt])",
      "query-index public.Comment src/projects/board.ts:5 add prisma/schema.prisma:83 @@index([taskId])",
      // The latest 20 of a team: the team index finds them and sorts them all; the new index goes beside it.
      "query-index public.Invoice src/invoices/list.ts:13 add prisma/schema.prisma:98 @@index([teamId, createdAt(sort: Desc)])",
      "n-plus-one public.Invoice src/invoices/list.ts:24",
    ]);
    const latest = result.findings.find((f) => f.location.line === 13 && f.rule === "query-index")!;
    // The SQL prisma migrate writes for that change, and the message naming the index under Prisma's name. The old
    // index goes in a later migration: swapped in one, prisma migrate would drop it before building the new one.
    expect(latest.fix!.sql).toBe('CREATE INDEX "Invoice_teamId_createdAt_idx" ON "Invoice"("teamId", "createdAt" DESC);');
    expect(latest.fix!.declared!.note).toContain("Keep Invoice_teamId_idx (line 97) until this index is built");
    expect(latest.message).toContain("Add Invoice_teamId_createdAt_idx on (teamId, createdAt)");
    // The relation scalar nobody indexed, which no query covers: Comment.authorId, with relationMode = "prisma".
    const relation = result.findings.filter((f) => f.rule === "fk-index");
    expect(summary(relation)).toEqual(["fk-index public.Comment prisma/schema.prisma:80 add prisma/schema.prisma:83 @@index([authorId])"]);
    expect(relation[0].message).toContain('relationMode = "prisma"');
    expect(result.findings.filter((f) => f.location.file === "src/users.ts")).toEqual([]);
  });

  it("does not count a partial index on an enum constant: Prisma sends the value as a cast", () => {
    const invoice = result.sets[0].patterns.find((p) => p.location.line === 24 && p.location.file === "src/invoices/list.ts")!;
    expect(invoice.predicates.find((p) => p.column === "status")).toMatchObject({ op: "eq", value: "'SENT'", sentAs: "param", castTo: "InvoiceStatus" });
    expect(result.findings.some((f) => f.message.includes("Invoice_customerId_sent_idx") && f.rule === "query-index")).toBe(false);
  });

  it("matches the planner: every fix runs, every recommended index serves its queries under a generic plan", async () => {
    await checkAgainstPlanner("prisma-app", result);
  }, 60_000);
});

describe("examples/drizzle-app", () => {
  let result: AuditResult;
  beforeAll(async () => {
    result = await auditExample("drizzle-app");
  }, 60_000);

  it("shows a served query, an unserved one, the latest-N index, a missing relation index and an N+1", () => {
    const found = summary(result.findings.filter((f) => f.rule === "query-index" || f.rule === "n-plus-one"));
    expect(found).toEqual([
      // The tables have no extra config: the line closing their columns gets one, holding both of trips' new indexes,
      // so the second finding on trips keeps only its SQL and refers to the first.
      'query-index public.trips src/routes/vehicles.ts:12 replace src/db/schema.ts:34 }, (t) => [\n  index("idx_trips_vehicle_id_created_at").on(t.vehicleId, t.createdAt.desc()),\n  index("idx_trips_driver_id_started_at").on(t.driverId, t.startedAt),\n]);',
      'query-index public.trips src/routes/vehicles.ts:18 CREATE INDEX "idx_trips_driver_id_started_at" ON "trips" USING btree ("driver_id", "started_at");',
      'query-index public.positions src/routes/vehicles.ts:26 replace src/db/schema.ts:42 }, (t) => [index("idx_positions_trip_id_recorded_at").on(t.tripId, t.recordedAt.desc())]);',
      "n-plus-one public.trips src/routes/vehicles.ts:40",
    ]);
    // positions(trip_id) has no index: the index the query needs leads with it, so one finding gives both reasons.
    const positions = result.findings.find((f) => f.rule === "query-index" && f.table === "public.positions")!;
    expect(positions.merged?.map((m) => `${m.rule} ${m.columns.join()}`)).toEqual(["fk-index trip_id"]);
    // listVehicles (line 7) and the prepared driverByEmail (line 33) are served.
    expect(result.findings.filter((f) => f.location.line === 7 || f.location.line === 33)).toEqual([]);
    expect(result.sets[0].patterns.filter((p) => p.location.line === 33).map((p) => p.table)).toEqual(["drivers"]);
  });

  it("matches the planner: every fix runs, every recommended index serves its queries under a generic plan", async () => {
    await checkAgainstPlanner("drizzle-app", result);
  }, 60_000);
});

describe("examples/kysely-app", () => {
  let result: AuditResult;
  beforeAll(async () => {
    result = await auditExample("kysely-app");
  }, 60_000);

  it("shows a served query, an unserved one, the latest-N index, a missing relation index and an N+1", () => {
    const found = summary(result.findings.filter((f) => f.rule === "query-index" || f.rule === "n-plus-one"));
    expect(found).toEqual([
      "query-index public.tickets src/tickets.ts:11 ON tickets (assignee_id, created_at) WHERE closed_at IS NULL;",
      "query-index public.messages src/tickets.ts:22 ON messages (ticket_id, created_at DESC);",
      // Both queries of the loop at line 40 are one finding, the second listed as a related call site.
      "n-plus-one public.tickets src/tickets.ts:40",
    ]);
    const loop = result.findings.find((f) => f.rule === "n-plus-one")!;
    expect(loop.related?.map((l) => `${l.file}:${l.line}`)).toEqual(["src/tickets.ts:41"]);
    // messages(ticket_id) has no index: the index the query needs leads with it, so one finding gives both reasons.
    const messages = result.findings.find((f) => f.rule === "query-index" && f.table === "public.messages")!;
    expect(messages.merged?.map((m) => `${m.rule} ${m.columns.join()}`)).toEqual(["fk-index ticket_id"]);
    expect(result.findings.filter((f) => f.location.file === "src/tickets.ts" && f.location.line === 5)).toEqual([]);
    // closeStale() reads a workspace's tickets older than a cut-off, and the tickets it closes keep their
    // created_at: the cut-off matches every old ticket, so the workspace index that finds them is all it needs.
    expect(result.findings.filter((f) => f.rule === "query-index" && f.location.line === 34)).toEqual([]);
  });

  it("matches the planner: every fix runs, every recommended index serves its queries under a generic plan", async () => {
    await checkAgainstPlanner("kysely-app", result);
  }, 60_000);
});
