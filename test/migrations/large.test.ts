import { stat } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { kind, loadRepo, where, writeRepo } from "./helpers.js";

/** A generated migration of about 10 MB: tables, ALTERs and index builds, one broken statement in the middle. */
function generate(): { sql: string; statements: number; brokenLine: number; lastLine: number } {
  const lines: string[] = [];
  let statements = 0;
  let brokenLine = 0;
  let size = 0;
  for (let i = 0; size < 10.5 * 1024 * 1024; i++) {
    const table = `public.events_${i % 400}`;
    if (i < 400) {
      lines.push(`CREATE TABLE ${table} (id bigint PRIMARY KEY, account_id bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), payload jsonb);\n`);
    } else if (i === 40_000) {
      brokenLine = lines.length + 1;
      lines.push(`ALTER TABLE ${table} ADD COLUMN broken_${i} text DEFAUT 'x';\n`);
      continue;
    } else if (i % 2) {
      lines.push(`CREATE INDEX IF NOT EXISTS idx_events_${i}_account_created ON ${table} USING btree (account_id, created_at DESC) WHERE payload IS NOT NULL;\n`);
    } else {
      lines.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS attribute_${i} text NOT NULL DEFAULT 'unknown value for attribute ${i}';\n`);
    }
    size += lines[lines.length - 1].length;
    statements++;
  }
  return { sql: lines.join(""), statements, brokenLine, lastLine: lines.length };
}

describe("a 10 MB generated migration", () => {
  it("loads every statement but the broken one, with lines right across the whole file", async () => {
    const { sql, statements, brokenLine, lastLine } = generate();
    const root = await writeRepo({ "migrations/0001_huge.sql": sql, "migrations/0002_after.sql": "CREATE INDEX after_idx ON public.events_1 (created_at);\n" });
    expect((await stat(path.join(root, "migrations/0001_huge.sql"))).size).toBeGreaterThan(10 * 1024 * 1024);

    const loaded = await loadRepo(root);
    expect(loaded.problems.map((p) => [where(p), p.message])).toEqual([
      [`migrations/0001_huge.sql:${brokenLine}:${sql.split("\n")[brokenLine - 1].indexOf("DEFAUT") + 1}`, 'SQL does not parse: syntax error at or near "DEFAUT"'],
    ]);
    const huge = loaded.statements.filter((s) => s.location.file === "migrations/0001_huge.sql");
    expect(huge).toHaveLength(statements);
    expect(huge[0].location.line).toBe(1);
    expect(huge[brokenLine - 2].location.line).toBe(brokenLine - 1);
    expect(huge[brokenLine - 1].location.line).toBe(brokenLine + 1);
    expect(huge[huge.length - 1].location.line).toBe(lastLine);
    // Every statement's text is its own line, without the semicolon.
    const sqlLines = sql.split("\n");
    expect(kind(huge[huge.length - 1])).toBe(sqlLines[lastLine - 1].startsWith("CREATE INDEX") ? "IndexStmt" : "AlterTableStmt");
    expect(huge.filter((s) => s.sql !== sqlLines[s.location.line - 1].slice(0, -1))).toEqual([]);
    expect(loaded.statements.map(where).slice(-1)).toEqual(["migrations/0002_after.sql:1:1"]);
  });
});
