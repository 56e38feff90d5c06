// query-index leaves out of the key an equality on a column's literal default (the most common value), as the
// migrations leave that default: set by CREATE TABLE or ADD COLUMN, changed or dropped by ALTER COLUMN.
import { beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { resolveConfig } from "../../src/core/config.js";
import type { Statement } from "../../src/core/types.js";
import { queryIndex } from "../../src/rules/query-index.js";
import type { RuleContext } from "../../src/rules/rule.js";
import { initParser, parseSql } from "../../src/sql/parser.js";
import { replaySchema } from "../../src/schema/replay.js";
import { eq, pattern } from "../advisor/support/schema.js";

beforeAll(async () => {
  await initParser();
});

function statementsOf(sql: string): Statement[] {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.statements.map((s, i) => ({
    ast: s.ast,
    sql: sql.slice(s.start, s.end),
    location: { file: "migrations/001_init.sql", line: i + 1, column: 1 },
    fileOrder: 0,
    inExplicitTransaction: false,
    inTransaction: false,
    suppressions: [],
  }));
}

/** The fix query-index gives for `owner_id = $1 AND state = 'queued' AND kind = 'email'` on the table the SQL leaves. */
function fixOf(sql: string): string | undefined {
  const statements = statementsOf(sql);
  const context: RuleContext = {
    set: { name: "migrations", framework: "plain", root: "migrations", files: [] },
    statements,
    schema: replaySchema(statements),
    patterns: [pattern("jobs", [eq("owner_id", "$1"), eq("state", "'queued'", "literal"), eq("kind", "'email'", "literal")])],
    problems: [],
    config: resolveConfig(configSchema.parse({})),
  };
  return queryIndex.check(context).find((f) => f.fix)?.fix?.sql;
}

const TABLE = "CREATE TABLE jobs (id bigint PRIMARY KEY, owner_id bigint NOT NULL, state text NOT NULL DEFAULT 'queued', kind text NOT NULL);";

const BOTH = "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_jobs_owner_id ON jobs (owner_id) WHERE state = 'queued' AND kind = 'email';";

describe("query-index and column defaults", () => {
  it("leaves an equality on the column's literal default out of the index", () => {
    expect(fixOf(TABLE)).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_jobs_owner_id ON jobs (owner_id) WHERE kind = 'email';");
  });

  it("counts the equality again once the default is dropped or changed, and follows a default set later", () => {
    expect(fixOf(`${TABLE}\nALTER TABLE jobs ALTER COLUMN state DROP DEFAULT;`)).toBe(BOTH);
    expect(fixOf(`${TABLE}\nALTER TABLE jobs ALTER COLUMN state SET DEFAULT 'done';`)).toBe(BOTH);
    expect(fixOf(`${TABLE}\nALTER TABLE jobs ALTER COLUMN kind SET DEFAULT 'email';`)).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_jobs_owner_id ON jobs (owner_id);");
    // Dropped and added again without a default: the default is gone.
    expect(fixOf(`${TABLE}\nALTER TABLE jobs DROP COLUMN state;\nALTER TABLE jobs ADD COLUMN state text NOT NULL;`)).toBe(BOTH);
  });
});
