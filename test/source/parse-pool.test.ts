// Parsing in worker threads gives the same audit as parsing on one thread: the same findings in the
// same order, the same problems with their file:line, whichever worker finishes first.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../src/audit.js";
import { loadConfig } from "../../src/config/load.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { FileMemo } from "../../src/core/memo.js";
import type { Source } from "../../src/source/source.js";
import { fsSource } from "../../src/source/fs-source.js";
import { createParsePool, poolSize } from "../../src/source/parse-pool.js";
import { runParseJob } from "../../src/source/parse-jobs.js";
import { initParser } from "../../src/sql/parser.js";

const EXAMPLES = join(import.meta.dirname, "../../examples");

function memorySource(files: Record<string, string>): Source {
  const encoder = new TextEncoder();
  return {
    list: async () => Object.keys(files).map((path) => ({ path })),
    read: async (path) => encoder.encode(files[path]),
  };
}

/** What a user sees of an audit. */
function seen(result: AuditResult) {
  return { findings: result.findings, problems: result.problems, stats: result.stats, patterns: result.sets.map((s) => s.patterns) };
}

// A small repository with a bit of everything the workers read: migrations (one with a statement that
// does not parse, one with a DO block), code files of several clients (one that does not parse), and a
// .sql query file.
const repository: Record<string, string> = {
  "supabase/migrations/20240101000000_init.sql": `
CREATE TABLE public.accounts (id bigint PRIMARY KEY, email text NOT NULL, region text);
CREATE TABLE public.orders (id bigint PRIMARY KEY, account_id bigint REFERENCES public.accounts (id), placed_at timestamptz, status text);
`,
  "supabase/migrations/20240102000000_broken.sql": `
CREATE INDEX orders_status ON public.orders (status);
CREATE TABLE oops (;
ALTER TABLE public.orders ADD COLUMN total numeric;
`,
  "supabase/migrations/20240103000000_do.sql": `
DO $$
BEGIN
  CREATE INDEX orders_placed_at ON public.orders (placed_at);
END $$;
`,
  "src/tables.ts": `export const ORDERS = "orders";\n`,
  "src/orders.ts": `
import { createClient } from "@supabase/supabase-js";
import { ORDERS } from "./tables";
const supabase = createClient("url", "key");
export async function byAccount(accountId: number) {
  return supabase.from(ORDERS).select("id, status").eq("account_id", accountId);
}
export async function byRegion(region: string) {
  return supabase.from("accounts").select("id").eq("region", region);
}
`,
  "src/report.ts": `
import { Pool } from "pg";
const pool = new Pool();
export async function recent(status: string) {
  return pool.query("SELECT id FROM orders WHERE status = $1 ORDER BY placed_at DESC LIMIT 20", [status]);
}
`,
  "src/broken.ts": `import { createClient } from "@supabase/supabase-js";\nconst s = createClient("u", "k");\nexport const x = s.from("orders").select(;\n`,
  "queries/accounts.sql": `-- name: AccountByEmail :one\nSELECT id FROM accounts WHERE email = $1;\n`,
};

describe("parsing in worker threads", () => {
  it("gives the same findings, problems and patterns as parsing on one thread", async () => {
    const here = await audit(memorySource(repository), { config: DEFAULT_CONFIG, workers: 0 });
    const pooled = await audit(memorySource(repository), { config: DEFAULT_CONFIG, workers: 2 });
    expect(here.findings.length).toBeGreaterThan(0);
    expect(here.problems.map((p) => `${p.location.file}:${p.location.line}`)).toEqual(
      expect.arrayContaining(["supabase/migrations/20240102000000_broken.sql:3", "src/broken.ts:3"]),
    );
    expect(seen(pooled)).toEqual(seen(here));
  });

  it("gives the same audit of each example repository", async () => {
    for (const name of ["supabase-app", "prisma-storefront", "drizzle-app", "kysely-app", "prisma-app"]) {
      const root = join(EXAMPLES, name);
      const loaded = await loadConfig({ root });
      if (!loaded.ok) throw new Error(loaded.message);
      const here = await audit(fsSource(root), { config: loaded.config, workers: 0 });
      const pooled = await audit(fsSource(root), { config: loaded.config, workers: 1 });
      expect(seen(pooled), name).toEqual(seen(here));
    }
  });

  it("keeps results in the per-file memo, and a later audit with no workers reads them", async () => {
    const memo = new FileMemo();
    const first = await audit(memorySource(repository), { config: DEFAULT_CONFIG, memo, workers: 2 });
    expect(memo.size).toBeGreaterThan(0);
    const again = await audit(memorySource(repository), { config: DEFAULT_CONFIG, memo, workers: 0 });
    expect(seen(again)).toEqual(seen(first));
  });

  it("parses in its workers, from the TypeScript sources as from the compiled ones", async () => {
    await initParser();
    const pool = createParsePool(2, runParseJob);
    try {
      const file = { path: "m.sql", order: 0, runsInTransaction: true };
      const result = await pool.run({ kind: "migration", text: "CREATE INDEX i ON t (a);\nCREATE TABLE (;", file });
      expect(result.statements.map((s) => Object.keys(s.ast)[0])).toEqual(["IndexStmt"]);
      expect(result.problems[0].location).toEqual({ file: "m.sql", line: 2, column: 14 });
      const code = await pool.run({ kind: "code", path: "a.ts", text: repository["src/broken.ts"] });
      expect(code.problems[0].message).toMatch(/^a\.ts:3:\d+: syntax error/);
      expect(pool.done).toEqual({ workers: 2, here: 0 });
    } finally {
      await pool.close();
    }
  });

  it("finishes queued jobs on the calling thread when the pool is closed", async () => {
    await initParser();
    const pool = createParsePool(1, runParseJob);
    const file = { path: "m.sql", order: 0, runsInTransaction: true };
    const jobs = Array.from({ length: 20 }, (_, k) => pool.run({ kind: "migration", text: `CREATE TABLE t${k} (id int);`, file }));
    await pool.close();
    const results = await Promise.all(jobs);
    expect(results.map((r) => r.statements[0].ast.CreateStmt.relation.relname)).toEqual(jobs.map((_, k) => `t${k}`));
  });

  it("starts no workers for a small repository or on fewer than four cores unless told to", () => {
    const saved = process.env.INDEX_AUDIT_WORKERS;
    delete process.env.INDEX_AUDIT_WORKERS;
    try {
      expect(poolSize(10)).toBe(0);
      expect(poolSize(10, 2)).toBe(2);
      expect(poolSize(100_000, undefined, 8)).toBe(7);
      expect(poolSize(100_000, undefined, 2)).toBe(0);
      process.env.INDEX_AUDIT_WORKERS = "0";
      expect(poolSize(100_000)).toBe(0);
      process.env.INDEX_AUDIT_WORKERS = "3";
      expect(poolSize(10)).toBe(3);
    } finally {
      if (saved === undefined) delete process.env.INDEX_AUDIT_WORKERS;
      else process.env.INDEX_AUDIT_WORKERS = saved;
    }
  });
});
