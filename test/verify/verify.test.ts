// The verify stage end to end: migrations replayed into PostgreSQL 18 (PGlite), tables planned at
// their declared sizes, recommendations planned before and after their index, refused statements
// reported, and the command line with verification on and off.
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../src/audit.js";
import { loadConfig } from "../../src/config/load.js";
import type { Finding } from "../../src/core/types.js";
import { fsSource } from "../../src/source/fs-source.js";
import { DEFAULT_ROWS } from "../../src/verify/index.js";
import { startEngine } from "../../src/verify/engine.js";
import { replayStatements } from "../../src/verify/replay.js";
import { restoreStats, scaleTables } from "../../src/verify/scale.js";
import { explainGeneric } from "../../src/verify/query-sql.js";
import { planShape } from "../../src/verify/plan.js";
import { REPO_ROOT, runMain, scratch } from "../cli/harness.js";

const MIGRATION = `create extension if not exists vector;
create extension if not exists pg_trgm;
create table tags (id int primary key, name text not null);
create table post_tags ("postId" int not null, "tagId" int not null references tags(id));
create index post_tags_tag on post_tags (tagId);
create table docs (id bigint primary key, owner_id uuid references auth.users(id), embedding vector(3), title text);
create index docs_embedding on docs using hnsw (embedding vector_cosine_ops);
create index docs_title_trgm on docs using gin (title gin_trgm_ops);
create table settings (id int primary key, key text not null, value text);
create table events (id bigint primary key, account text not null, kind text not null check (kind in ('a', 'b', 'c')), active boolean not null default true);
alter table events add constraint events_kind_fk foreign key (kind) references tags (name);
`;

const CODE = `export async function setting(k: string) {
  return supabase.from("settings").select("*").eq("key", k);
}
export async function eventsOf(account: string) {
  return supabase.from("events").select("*").eq("account", account).limit(20);
}
`;

const CONFIG = `code:
  paths: [src]
tables:
  settings:
    rows: 40
  events:
    rows: 2000000
`;

const tmp = scratch("index-audit-verify-");
const repo = tmp.repo("app", {
  "supabase/migrations/20240101000000_init.sql": MIGRATION,
  "src/data.ts": CODE,
  ".github/index-audit.yml": CONFIG,
});

async function auditWithVerify(root: string, verify = true): Promise<AuditResult> {
  const loaded = await loadConfig({ root });
  if (!loaded.ok) throw new Error(loaded.message);
  return audit(fsSource(root), { config: { ...loaded.config, verify } });
}

const at = (f: Finding) => `${f.location.file}:${f.location.line}`;

describe("a small Supabase repository, verified", () => {
  let result: AuditResult;
  beforeAll(async () => {
    result = await auditWithVerify(repo);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it("reports a statement PostgreSQL refuses at its file and line, with the server's message", () => {
    const failed = result.findings.filter((f) => f.rule === "migration-fails");
    // Line 5 is refused as the replay already knows (a column the table lacks); line 11 only the server finds.
    expect(failed.map(at)).toEqual(["supabase/migrations/20240101000000_init.sql:5", "supabase/migrations/20240101000000_init.sql:11"]);
    expect(failed[1].message).toContain('there is no unique constraint matching given keys for referenced table "tags"');
    expect(failed.map((f) => f.severity)).toEqual(["important", "important"]);
  });

  it("does not report again a statement the static replay already reported", () => {
    const line5 = result.findings.filter((f) => at(f) === "supabase/migrations/20240101000000_init.sql:5");
    expect(line5.map((f) => f.rule)).toEqual(["migration-fails"]);
  });

  it("stands in for pgvector and Supabase, and lists what it skipped instead of reporting it", () => {
    const set = result.verification!.sets[0];
    expect(set.standIns.join("\n")).toMatch(/extension vector/);
    expect(set.standIns.join("\n")).toMatch(/Supabase platform/);
    const skipped = set.skipped.map((s) => s.location.line);
    expect(skipped).toEqual([1, 7]);
    // The docs table itself replayed (its vector column read as the stand-in type), so it was scaled.
    expect(set.tables.map((t) => t.name)).toContain("docs");
    expect(result.findings.filter((f) => f.rule === "migration-fails" && ![5, 11].includes(f.location.line))).toEqual([]);
  });

  it("attaches the planner's evidence to a recommendation at the declared size", () => {
    const events = result.findings.find((f) => f.rule === "query-index" && f.table === "public.events")!;
    expect(events.evidence).toMatchObject({ rows: 2_000_000, hinted: true, usesIndex: true });
    expect(events.evidence!.before.node).toMatch(/Seq Scan/);
    expect(events.evidence!.after.node).toMatch(/Index Scan/);
    expect(events.fix!.sql).toContain("idx_events_account");
    expect(events.evidence!.after.index).toBe("idx_events_account");
    expect(events.evidence!.costRatio).toBeGreaterThan(10);
  });

  it("demotes to NOTED a recommendation the planner does not use at the declared size, with its plan", () => {
    const settings = result.findings.find((f) => f.rule === "query-index" && f.table === "public.settings")!;
    expect(settings.evidence).toMatchObject({ rows: 40, usesIndex: false });
    expect(settings.severity).toBe("noted");
    expect(settings.details).toMatch(/does not use the recommended index at 40 rows: .*Seq Scan/);
    expect(result.verification!.demoted).toContain(settings.id);
  });
});

describe("the scale trick", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await startEngine([]);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it("plans a hinted table at its declared rows, n_distinct from a CHECK list, and an unhinted one at the default", async () => {
    const { loadMigrationSet } = await import("../../src/migrations/load.js");
    const { replaySchema } = await import("../../src/schema/replay.js");
    const { initParser } = await import("../../src/sql/parser.js");
    await initParser();
    const files = { "m/1.sql": "create table big (id int primary key, kind text not null check (kind in ('x', 'y', 'z', 'w')), note text);\ncreate table other (id int primary key);\n" };
    const set = { name: "m", framework: "plain" as const, root: "m", files: [{ path: "m/1.sql", order: 0, runsInTransaction: false }] };
    const loaded = await loadMigrationSet(set, async (p) => ({ ok: true, text: files[p as keyof typeof files] }) as never);
    const schema = replaySchema(loaded.statements, []);
    const outcome = await replayStatements(db, loaded.statements, { framework: "plain" });
    expect(outcome.failures).toEqual([]);
    const { DEFAULT_CONFIG } = await import("../../src/core/config.js");
    const scales = await scaleTables(db, schema, { ...DEFAULT_CONFIG, tables: { big: { rows: 5_000_000 } } });
    const big = scales.find((s) => s.name === "big")!;
    expect(big).toMatchObject({ rows: 5_000_000, hinted: true });
    expect(big.columns.kind).toEqual({ n_distinct: 4, null_frac: 0 });
    expect(planShape(await explainGeneric(db, "SELECT * FROM big"), "big").rows).toBe(5_000_000);
    expect(planShape(await explainGeneric(db, "SELECT * FROM big WHERE kind = $1"), "big").rows).toBe(1_250_000);
    expect(planShape(await explainGeneric(db, "SELECT * FROM other"), "other").rows).toBe(DEFAULT_ROWS);
    // An index build writes the real counts back; restoring puts the declared size back.
    await db.exec("CREATE INDEX big_note ON big (note)");
    expect(planShape(await explainGeneric(db, "SELECT * FROM big"), "big").rows).toBe(1);
    await restoreStats(db, big);
    const plan = planShape(await explainGeneric(db, "SELECT * FROM big WHERE note = $1"), "big");
    expect(plan).toMatchObject({ rows: 25_000, index: "big_note" });
  });
});

describe("the seed example, verified", () => {
  let result: AuditResult;
  beforeAll(async () => {
    result = await auditWithVerify(join(REPO_ROOT, "examples/supabase-app"));
  }, 180_000);

  it("plans call_logs (reconnect_token) WHERE ended_at IS NULL at 10,000,000 rows: an Index Scan on the new index, not the one before", () => {
    const reconnect = result.findings.find((f) => f.rule === "query-index" && f.columns[0] === "reconnect_token")!;
    const e = reconnect.evidence!;
    expect(e).toMatchObject({ rows: 10_000_000, hinted: true, usesIndex: true });
    expect(e.after.node).toMatch(/Index Scan$/);
    expect(e.after.index).toBe("idx_call_logs_reconnect_token");
    expect(e.after.cond).toContain("reconnect_token");
    expect(e.before.index).not.toBe("idx_call_logs_reconnect_token");
    expect(e.costRatio).toBeGreaterThan(100);
  });

  it("the foreign key check on call_logs(site_id) is a Seq Scan before and an Index Scan after", () => {
    const fk = result.findings.find((f) => f.rule === "fk-index" && f.table === "public.call_logs" && f.columns.join() === "site_id")!;
    expect(fk.evidence!.query).toBe("SELECT 1 FROM ONLY call_logs x WHERE site_id = $1 FOR KEY SHARE OF x");
    expect(fk.evidence!.before.node).toBe("LockRows > Seq Scan");
    expect(fk.evidence!.after).toMatchObject({ node: "LockRows > Index Scan", index: "idx_call_logs_site_id" });
  });

  it("gives every verified finding a plan that uses its index, a cost that falls, and no refused statement", () => {
    const verified = result.findings.filter((f) => f.evidence);
    expect(verified.length).toBeGreaterThanOrEqual(5);
    for (const f of verified) {
      expect(f.evidence!.usesIndex, f.id).toBe(true);
      expect(f.evidence!.after.cost, f.id).toBeLessThan(f.evidence!.before.cost);
    }
    expect(result.findings.filter((f) => f.rule === "migration-fails")).toEqual([]);
    expect(result.verification!.sets[0].unverified).toEqual([]);
  });

  it("finds no query the matcher calls served that the planner reads whole (no disagreement on this example)", () => {
    expect(result.verification!.overruled).toEqual([]);
  });
});

describe("the command line", () => {
  const cli = scratch("index-audit-verify-cli-");
  const small = cli.repo("r", {
    "supabase/migrations/20240101000000_init.sql": "create table events (id bigint primary key, account text not null);\n",
    "src/data.ts": 'export const q = (a: string) => supabase.from("events").select("*").eq("account", a).limit(5);\n',
    ".github/index-audit.yml": "code:\n  paths: [src]\ntables:\n  events:\n    rows: 3000000\n",
  });
  afterAll(() => cli.cleanup());

  it("without --verify, prints no evidence and starts no PostgreSQL", async () => {
    const run = await runMain([small, "--format", "json", "--fail-on", "never"]);
    const report = JSON.parse(run.stdout);
    expect(report.verification).toBeUndefined();
    expect(report.findings.some((f: Finding) => f.evidence)).toBe(false);
  });

  it("with --verify, the JSON carries the evidence and the markdown says it was verified at the declared rows", async () => {
    const json = JSON.parse((await runMain([small, "--format", "json", "--fail-on", "never", "--verify"])).stdout);
    const finding = json.findings.find((f: Finding) => f.rule === "query-index");
    expect(finding.evidence).toMatchObject({ rows: 3_000_000, usesIndex: true });
    expect(json.verification.planner).toMatch(/^PostgreSQL 18\./);
    const md = (await runMain([small, "--fail-on", "never", "--verify"])).stdout;
    expect(md).toContain("Verified by PostgreSQL 18's planner at 3,000,000 rows");
    expect(md).toContain("## Verification");
  }, 120_000);

  it("refuses --verify with the schema command", async () => {
    const run = await runMain(["schema", small, "--verify"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--verify applies to an audit");
  });
});

describe("migrations that build on tables only the ORM schema declares", () => {
  const tmp = scratch("index-audit-declared-");
  const repo = tmp.repo("app", {
    "drizzle/meta/_journal.json": JSON.stringify({ version: "7", dialect: "postgresql", entries: [{ idx: 0, version: "7", when: 1717000000000, tag: "0000_add_note", breakpoints: true }] }),
    "drizzle/0000_add_note.sql": 'ALTER TABLE "accounts" ADD COLUMN "note" text;\n--> statement-breakpoint\nCREATE TABLE "tags" ("id" integer PRIMARY KEY, "name" text NOT NULL);\n--> statement-breakpoint\nCREATE INDEX "tags_nmae_idx" ON "tags" ("nmae");\n',
    "src/db/schema.ts": `import { pgTable, text, uuid } from "drizzle-orm/pg-core";
export const accounts = pgTable("accounts", { id: uuid("id").primaryKey().defaultRandom(), email: text("email").notNull() });
`,
    ".github/index-audit.yml": "code:\n  paths: [src]\n",
  });
  afterAll(() => tmp.cleanup());

  it("skips a statement refused only because the declared table is missing from the replay, and still reports a real refusal", async () => {
    const result = await auditWithVerify(repo);
    const failed = result.findings.filter((f) => f.rule === "migration-fails");
    expect(failed.map((f) => f.location.line)).toEqual([5]);
    expect(failed[0].message).toContain('column "nmae" does not exist');
    const skipped = result.verification!.sets[0].skipped;
    expect(skipped.map((s) => s.location.line)).toEqual([1]);
    expect(skipped[0].reason).toMatch(/relation "accounts" does not exist: the drizzle schema declares 1 table these migrations never create/);
  }, 180_000);
});
