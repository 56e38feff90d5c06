// Every fix the audit emits executes in PostgreSQL (PGlite, PostgreSQL 18) against the replayed
// migrations, and creates or drops what its finding says: for every fixture repository with
// migrations and every example application, the migrations are replayed, each `fix.sql` is run
// where its placement puts it, and the catalog is read back.
//
// - placement `replace`: the migrations are replayed again with the statement swapped for the fix,
//   inside a transaction when the statement ran in one (a Drizzle migration, BEGIN ... COMMIT, a DO
//   block), so a CONCURRENTLY written there fails as it would in production;
// - placement `after` (the default) at a migration statement: the same, right after that statement;
// - otherwise (a call site in code, `separate`): after the whole replay, each statement on its own.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type SetResult } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import type { Finding, Statement } from "../../src/core/types.js";
import { fsSource } from "../../src/source/fs-source.js";
import { parseSql } from "../../src/sql/parser.js";
import { readDrizzleSchema } from "../../src/schema/declared/drizzle.js";
import { readPrismaSchema } from "../../src/schema/declared/prisma.js";
import { normalizeExpressionText } from "../../src/advisor/expression.js";
import { transactionAdvice } from "../../src/rules/transactions.js";
import { resetDatabase } from "../schema/catalog.js";
import { startPGlite } from "../support/pglite.js";

const ROOT = join(import.meta.dirname, "../..");

function dirs(path: string): string[] {
  if (!existsSync(path)) return [];
  return readdirSync(path)
    .map((name) => join(path, name))
    .filter((p) => statSync(p).isDirectory())
    .sort();
}

/**
 * Every fixture repository and example application: test/fixtures/*, test/fixtures/frameworks/*,
 * test/fixtures/declared/* (ORM-declared schemas), examples/*.
 */
const GROUPS = ["frameworks", "ddl", "declared"];
const REPOSITORIES = [
  ...dirs(join(ROOT, "test/fixtures")).filter((d) => !GROUPS.some((g) => d.endsWith(g))),
  ...dirs(join(ROOT, "test/fixtures/frameworks")),
  ...dirs(join(ROOT, "test/fixtures/declared")),
  ...dirs(join(ROOT, "examples")),
];

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(async () => {
  await db?.close();
});

/** Objects a hosted Supabase project has before any migration runs, and that PGlite lacks. */
async function platform(): Promise<void> {
  await db.exec("create schema if not exists auth; create table if not exists auth.users (id uuid primary key, email text)");
}

function statementsOf(sql: string): string[] {
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(`fix does not parse: ${parsed.message}\n${sql}`);
  return parsed.statements.map((s) => sql.slice(s.start, s.end).trim()).filter(Boolean);
}

/**
 * A psql script that sets variables (`\set app_schema app`) names its objects through them: only psql
 * can replay it, so its fixes are checked for parsing only.
 */
function psqlScript(repository: string, file: string): boolean {
  const path = join(repository, file);
  return existsSync(path) && /^\\set\s/m.test(readFileSync(path, "utf8"));
}

/** Does the statement certainly run inside a transaction block (a DO block, BEGIN ... COMMIT, a framework that always wraps)? */
function wrapped(set: SetResult, statement: Statement): boolean {
  return statement.fromDoBlock === true || transactionAdvice(statement, set.set.framework)?.certainFailure === true;
}

/**
 * The DDL an ORM's tool generates from the declared schema read with this set, as far as the audit took it
 * for the database: all of it when there are no migrations (`db push`), else the tables the migrations lack.
 */
function declaredDdl(repository: string, set: SetResult): string[] {
  const use = set.declared;
  if (!use || (!use.standsAlone && use.addedTables.length === 0)) return [];
  const files = use.files.map((path) => ({ path, text: readFileSync(join(repository, path), "utf8") }));
  const read = use.orm === "prisma" ? readPrismaSchema({ files }) : readDrizzleSchema(files);
  if (use.standsAlone) return read.ddl.map((p) => p.sql);
  const added = new Set(use.addedTables);
  return read.ddl
    .map((p) => p.sql)
    .filter((sql) => {
      const parsed = parseSql(sql);
      if (!parsed.ok) return false;
      const ast = parsed.statements[0].ast;
      const relation = ast.CreateStmt?.relation ?? ast.IndexStmt?.relation ?? ast.AlterTableStmt?.relation;
      return relation !== undefined && added.has(`${relation.schemaname ?? "public"}.${relation.relname}`);
    });
}

/** Replays the set's migrations; the server may refuse what the model does not hold (cron jobs, roles, extensions). */
async function replay(repository: string, set: SetResult, swap?: { at: Statement; sql: string; placement: "replace" | "after" }): Promise<string | null> {
  await resetDatabase(db);
  await platform();
  const run = async (statement: Statement) => {
    await db.exec(statement.sql).catch(() => {});
  };
  for (const statement of set.statements) {
    if (statement.fromDoBlock && statement !== swap?.at) continue;
    const inBlock = wrapped(set, statement);
    if (swap && statement === swap.at) {
      if (swap.placement === "after") await run(statement);
      try {
        if (inBlock) await db.exec("BEGIN");
        for (const s of statementsOf(swap.sql)) await db.exec(s);
        if (inBlock) await db.exec("COMMIT");
      } catch (error) {
        if (inBlock) await db.exec("ROLLBACK").catch(() => {});
        return `${(error as Error).message} (${swap.placement === "after" ? "after" : "in place of"} ${statement.location.file}:${statement.location.line}${inBlock ? ", inside its transaction" : ""})`;
      }
      continue;
    }
    await run(statement);
  }
  for (const sql of declaredDdl(repository, set)) await db.exec(sql);
  return null;
}

interface IndexState {
  valid: boolean;
  columns: string[];
}

async function indexState(schema: string | null, name: string): Promise<IndexState | null> {
  const res = await db.query<{ valid: boolean; columns: string[] }>(
    `select i.indisvalid as valid,
            array(select pg_get_indexdef(i.indexrelid, k, true) from generate_series(1, i.indnkeyatts) k) as columns
       from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relname = $1 and ($2::text is null and n.nspname = any(current_schemas(false)) or n.nspname = $2)`,
    [name, schema],
  );
  return res.rows[0] ?? null;
}

/** The indexes a fix creates and drops, by the real parser's reading of it. */
function effects(sql: string): { created: Array<{ schema: string | null; name: string }>; dropped: Array<{ schema: string | null; name: string }> } {
  const created: Array<{ schema: string | null; name: string }> = [];
  const dropped: Array<{ schema: string | null; name: string }> = [];
  const parsed = parseSql(sql);
  if (!parsed.ok) return { created, dropped };
  for (const { ast } of parsed.statements) {
    if (ast.IndexStmt?.idxname) created.push({ schema: ast.IndexStmt.relation?.schemaname ?? null, name: ast.IndexStmt.idxname });
    if (ast.DropStmt?.removeType === "OBJECT_INDEX") {
      for (const object of ast.DropStmt.objects ?? []) {
        const names: string[] = (object.List?.items ?? []).map((i: any) => i.String?.sval);
        dropped.push({ schema: names.length > 1 ? names[0] : null, name: names[names.length - 1] });
      }
    }
  }
  return { created, dropped };
}

function normalizedColumns(columns: string[]): string[] {
  return columns.map((c) => normalizeExpressionText(c.replace(/^"(.*)"$/, "$1")));
}

/** Why the fix does not do what it says, or null when it does. */
async function checkFix(repository: string, set: SetResult, finding: Finding): Promise<string | null> {
  const fix = finding.fix!;
  const placement = fix.placement ?? "after";
  const at = set.statements.find((s) => s.location.file === finding.location.file && s.location.line === finding.location.line);
  let failure: string | null;
  if (at && (placement === "replace" || placement === "after")) {
    failure = await replay(repository, set, { at, sql: fix.sql, placement });
  } else {
    // A constraint's lock fix placed `separate` (NOT VALID here, VALIDATE in a later migration) stands in for the
    // one-command ALTER TABLE it rewrites.
    const standsIn = finding.rule === "index-locking" && at?.ast.AlterTableStmt !== undefined && (at.ast.AlterTableStmt.cmds?.length ?? 0) === 1;
    await replay(repository, set, standsIn ? { at, sql: "", placement: "replace" } : undefined);
    failure = null;
    for (const s of statementsOf(fix.sql)) {
      try {
        await db.exec(s);
      } catch (error) {
        failure = `${(error as Error).message} in: ${s}`;
        break;
      }
    }
  }
  if (failure) return failure;
  const { created, dropped } = effects(fix.sql);
  for (const c of created) {
    const state = await indexState(c.schema, c.name);
    if (!state) return `index ${c.name} does not exist after the fix`;
    if (!state.valid) return `index ${c.name} is invalid after the fix`;
  }
  // The finding names the recommended index's keys: the first index the fix creates has exactly those.
  if ((finding.rule === "query-index" || finding.rule === "fk-index") && created.length > 0) {
    const state = (await indexState(created[0].schema, created[0].name))!;
    const want = normalizedColumns(finding.columns);
    const got = normalizedColumns(state.columns.map((c) => c.replace(/ (DESC|ASC|NULLS FIRST|NULLS LAST|[a-z_]+_ops)$/g, "")));
    if (JSON.stringify(want) !== JSON.stringify(got)) return `index ${created[0].name} has keys (${got.join(", ")}), the finding says (${want.join(", ")})`;
  }
  for (const d of dropped) {
    if (created.some((c) => c.name === d.name)) continue;
    if (await indexState(d.schema, d.name)) return `index ${d.name} still exists after the fix`;
  }
  return null;
}

describe("every fix executes against the replayed migrations", () => {
  it("covers the fixture repositories and the example applications", () => {
    expect(REPOSITORIES.map((r) => relative(ROOT, r))).toEqual(
      expect.arrayContaining(["test/fixtures/advice", "test/fixtures/code", "test/fixtures/declared/prisma-push", "test/fixtures/declared/drizzle-partial", "test/fixtures/declared/drizzle-supabase-out", "examples/supabase-app", "examples/prisma-app", "examples/drizzle-app", "examples/kysely-app"]),
    );
  });

  it("moves a CONCURRENTLY build out of a migration that runs in a transaction, and builds a partitioned table's index per partition", async () => {
    const result = await audit(fsSource(join(ROOT, "test/fixtures/advice")), { config: DEFAULT_CONFIG });
    const byTable = (table: string) => result.findings.filter((f) => f.rule === "query-index" && f.table === table);
    const audits = byTable("public.audit_entries");
    expect(audits).toHaveLength(1);
    expect(audits[0].fix?.placement).toBe("separate");
    expect(audits[0].details).toContain("CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
    const events = byTable("public.events");
    expect(events).toHaveLength(1);
    expect(events[0].fix!.sql.split("\n")[0]).toBe("CREATE INDEX IF NOT EXISTS idx_events_account_id_kind ON ONLY events (account_id, kind);");
    expect(events[0].fix!.sql).toContain("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_2024_account_id_kind ON events_2024 (account_id, kind);");
    expect(events[0].fix!.sql).toContain("ALTER INDEX idx_events_account_id_kind ATTACH PARTITION idx_events_2024_account_id_kind;");
    // `.is('is_public', true)` sends IS TRUE, which does not prove the existing index's `WHERE is_public`.
    const posts = byTable("public.posts");
    expect(posts).toHaveLength(1);
    expect(posts[0].fix!.sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_posts_author_id ON posts (author_id) WHERE is_public IS TRUE;");
    // No key PostgreSQL refuses: parameters, variables, aggregates, aliases and dropped columns stay out.
    expect(byTable("public.documents").map((f) => f.columns)).toEqual([["owner_id"]]);
  });

  it("indexes a table that a migration not yet run creates with a plain CREATE INDEX right after its CREATE TABLE", async () => {
    const result = await audit(fsSource(join(ROOT, "test/fixtures/advice")), { config: DEFAULT_CONFIG });
    const reactions = result.findings.filter((f) => f.rule === "query-index" && f.table === "public.reactions");
    expect(reactions).toHaveLength(1);
    const [finding] = reactions;
    expect(finding.location.file).toBe("src/queries.ts");
    expect(finding.fix?.sql).toBe("CREATE INDEX IF NOT EXISTS idx_reactions_post_id_created_at ON reactions (post_id, created_at DESC);");
    expect(finding.fix?.placement).toBe("after");
    expect(finding.fix?.at).toEqual({ file: "migrations/005_reactions.sql", line: 2, column: 1 });
    expect(finding.details).toContain("put this right after that CREATE TABLE");
  });

  for (const repository of REPOSITORIES) {
    it(relative(ROOT, repository), async () => {
      const result = await audit(fsSource(repository), { config: DEFAULT_CONFIG });
      const failures: string[] = [];
      let checked = 0;
      for (const set of result.sets) {
        const findings = result.findings.filter((f) => f.fix && (f.set === undefined || f.set === set.set.name));
        for (const finding of findings) {
          if (psqlScript(repository, finding.location.file)) {
            expect(parseSql(finding.fix!.sql).ok, finding.fix!.sql).toBe(true);
            continue;
          }
          const failure = await checkFix(repository, set, finding);
          checked++;
          if (failure) failures.push(`${finding.rule} at ${finding.location.file}:${finding.location.line}: ${failure}\n  ${finding.fix!.sql.replace(/\n/g, "\n  ")}`);
        }
      }
      expect(failures).toEqual([]);
      if (result.findings.some((f) => f.fix && !psqlScript(repository, f.location.file))) expect(checked).toBeGreaterThan(0);
    }, 120_000);
  }
});
