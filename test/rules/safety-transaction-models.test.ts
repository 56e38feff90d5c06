// Every migration-safety fix runs where it is put, in each migration tool's transaction model: the
// migration is replayed into PostgreSQL with the statement replaced by the fix, inside one transaction
// when the tool runs the file in one, and PostgreSQL must accept it.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Framework, Statement } from "../../src/core/types.js";
import { constraintValidation } from "../../src/rules/constraint-validation.js";
import { lockTimeout } from "../../src/rules/lock-timeout.js";
import type { Rule } from "../../src/rules/rule.js";
import { tableRewrite } from "../../src/rules/table-rewrite.js";
import { buildInput, config, contextOf } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

const INIT =
  "CREATE TABLE orders (id int PRIMARY KEY, total int, note text);\n" +
  "CREATE MATERIALIZED VIEW order_totals AS SELECT id, total FROM orders;\n" +
  "CREATE UNIQUE INDEX order_totals_id ON order_totals (id);\n";

const CHANGE = [
  "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);",
  "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
  "REFRESH MATERIALIZED VIEW order_totals;",
];

/**
 * Transaction models: the framework, whether it wraps each file, whether the file carries its own BEGIN, and
 * whether the tool sends the file as one query string (one implicit transaction once it holds two statements).
 */
const MODELS: Array<{ name: string; framework: Framework; wraps: boolean; explicit?: boolean; script?: boolean }> = [
  { name: "plain", framework: "plain", wraps: false },
  { name: "explicit BEGIN", framework: "plain", wraps: false, explicit: true },
  { name: "Supabase", framework: "supabase", wraps: true },
  { name: "Prisma", framework: "prisma", wraps: true },
  { name: "Drizzle", framework: "drizzle", wraps: true },
  { name: "Flyway", framework: "flyway", wraps: true },
  { name: "golang-migrate", framework: "golang-migrate", wraps: true },
  { name: "dbmate", framework: "dbmate", wraps: true },
  { name: "dbmate transaction:false (the section goes as one query)", framework: "dbmate", wraps: false, script: true },
  { name: "Sqitch (BEGIN/COMMIT in the deploy script)", framework: "sqitch", wraps: false, explicit: true },
];

const RULES: Rule[] = [constraintValidation, tableRewrite, lockTimeout];

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(async () => {
  await db?.close();
});

/** Replays INIT, then the change file with `at` replaced by `fix`, wrapped as the model wraps it; the error, or null. */
async function replay(statements: Statement[], at: Statement, fix: string, inTransaction: boolean): Promise<string | null> {
  await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  await db.exec(INIT);
  const file = statements.filter((s) => s.location.file === at.location.file);
  try {
    if (inTransaction) await db.exec("BEGIN");
    for (const s of file) await db.exec(s === at ? fix : s.sql);
    if (inTransaction) await db.exec("COMMIT");
    return null;
  } catch (error) {
    await db.exec("ROLLBACK").catch(() => {});
    return (error as Error).message;
  }
}

describe("migration-safety fixes in each transaction model", () => {
  for (const model of MODELS) {
    it(model.name, async () => {
      const change = model.explicit ? `BEGIN;\n${CHANGE.join("\n")}\nCOMMIT;\n` : `${CHANGE.join("\n")}\n`;
      const input = buildInput(
        [
          { path: "m/001_init.sql", sql: INIT },
          { path: "m/002_change.sql", sql: change },
        ],
        { framework: model.framework, runsInTransaction: model.wraps },
      );
      const context = contextOf(input, config());
      const findings = RULES.flatMap((rule) => rule.check(context));
      const inTransaction = model.wraps || model.explicit === true;
      // A fix of several statements in a file sent as one query shares that query's implicit transaction.
      const shared = inTransaction || model.script === true;
      // One finding per statement and rule: CHECK, SET NOT NULL, REFRESH, and the missing lock_timeout once.
      expect(findings.map((f) => f.rule).sort()).toEqual(["constraint-validation", "constraint-validation", "lock-timeout", "table-rewrite"]);
      for (const finding of findings) {
        expect(finding.fix, `${finding.rule}: ${finding.message}`).toBeDefined();
        expect(finding.fix!.placement).toBe("replace");
        const at = input.statements.find((s) => s.location.line === finding.location.line && s.location.file === finding.location.file)!;
        expect(await replay(input.statements, at, finding.fix!.sql, shared), `${finding.rule}\n${finding.fix!.sql}`).toBeNull();
        if (finding.rule === "lock-timeout") expect(finding.fix!.sql.startsWith(inTransaction ? "SET LOCAL lock_timeout" : "SET lock_timeout")).toBe(true);
        if (finding.rule === "constraint-validation") expect(finding.fix!.sql.includes("-- A later migration of its own:")).toBe(shared);
      }
    });
  }
});
