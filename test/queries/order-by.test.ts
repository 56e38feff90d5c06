// SQL whose sort keys and filters are not table columns: an output alias in ORDER BY is the aliased
// expression (PostgreSQL's findTargetlistEntrySQL92), a position is the output column at it, and an
// aggregate, a window function or a function that is not IMMUTABLE never becomes an index key.
// Every fix names only columns of its table (or expressions over them), executes, and is what the
// planner then uses.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { findTableExact } from "../../src/schema/lookup.js";
import { parseSql } from "../../src/sql/parser.js";
import { startPGlite } from "../support/pglite.js";
import { checkQueryIndexFindings, memorySource, replayMigrations } from "./support/audit-oracle.js";

const MIGRATION = `CREATE TABLE jobs (id bigint PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, shop_id bigint NOT NULL, user_id bigint NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, "signedUpAt" timestamptz NOT NULL);
CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE visits (id bigint PRIMARY KEY, site_id bigint NOT NULL, at timestamp NOT NULL);
`;

// One query per block, each on lines of its own so the findings say which.
const QUERIES = `-- name: StaleJobs :many
SELECT id, now() - updated_at AS "cutoff" FROM jobs WHERE status = $1 ORDER BY "cutoff" DESC LIMIT 10;

-- name: TopBuyers :many
SELECT user_id, count(id) FROM orders WHERE shop_id = $1 GROUP BY user_id ORDER BY count(id) DESC LIMIT 10;

-- name: RankedOrders :many
SELECT id, row_number() OVER (ORDER BY created_at) AS rn FROM orders WHERE user_id = $1 ORDER BY rn LIMIT 10;

-- name: RandomEvents :many
SELECT id FROM events WHERE created_at + random() * interval '1 hour' < now() ORDER BY random() LIMIT 5;

-- name: StaleByAge :many
SELECT id FROM jobs WHERE now() - updated_at > interval '1 day';

-- name: EventsByPosition :many
SELECT id, created_at FROM events WHERE kind = $1 ORDER BY 2 DESC LIMIT 20;

-- name: UsersByEmail :many
SELECT id, lower(email) AS email FROM users ORDER BY email LIMIT 5;

-- name: NewestUsers :many
SELECT id, "signedUpAt" AS joined FROM users ORDER BY joined DESC LIMIT 5;

-- name: MonthlyVisits :many
SELECT date_trunc('month', at) AS month, count(*) FROM visits WHERE site_id = $1 GROUP BY month ORDER BY month DESC LIMIT 12;
`;

let result: AuditResult;
let db: PGlite;

beforeAll(async () => {
  result = await audit(memorySource({ "db/migrations/001_init.sql": MIGRATION, "queries/reports.sql": QUERIES }), { config: DEFAULT_CONFIG });
  db = await startPGlite();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe("ORDER BY terms and filters that are not columns", () => {
  it("reads the queries without a problem", () => {
    expect(result.problems).toEqual([]);
  });

  it("advises only on what an index can hold", () => {
    const fixes = Object.fromEntries(result.findings.filter((f) => f.rule === "query-index").map((f) => [f.location.line, f.fix?.sql ?? "(no fix)"]));
    expect(fixes).toEqual({
      // "cutoff" is now() - updated_at, not a column, and now() is not immutable: the filter alone.
      2: "CREATE INDEX IF NOT EXISTS idx_jobs_status ON jobs (status);",
      // count(id) cannot be indexed: the filter alone.
      5: "CREATE INDEX IF NOT EXISTS idx_orders_shop_id ON orders (shop_id);",
      // rn is a window function: the filter alone.
      8: "CREATE INDEX IF NOT EXISTS idx_orders_user_id ON orders (user_id);",
      // ORDER BY 2 is created_at.
      17: "CREATE INDEX IF NOT EXISTS idx_events_kind_created_at ON events (kind, created_at DESC);",
      // email is the output column lower(email), which an expression index can hold.
      20: "CREATE INDEX IF NOT EXISTS idx_users_lower_email ON users ((lower(email)));",
      // joined is the column "signedUpAt".
      23: 'CREATE INDEX IF NOT EXISTS idx_users_signedupat ON users ("signedUpAt" DESC);',
      // The ORDER BY sorts groups, built only once every row of the site is read: the filter alone.
      26: "CREATE INDEX IF NOT EXISTS idx_visits_site_id ON visits (site_id);",
    });
  });

  it("keeps no sort key or filter that names an alias, an aggregate, a window or a non-immutable function", () => {
    const terms = result.sets[0].patterns.flatMap((p) => [...p.predicates, ...p.orderBy].map((t) => t.column ?? t.expression));
    for (const bad of ["cutoff", "rn", "joined", "count", "row_number", "random", "now"]) {
      expect(terms.filter((t) => t === bad || t?.includes(`${bad}(`))).toEqual([]);
    }
  });

  it("names only columns its table has in every fix", () => {
    const schema = result.sets[0].schema;
    for (const finding of result.findings.filter((f) => f.fix)) {
      const parsed = parseSql(finding.fix!.sql);
      expect(parsed.ok, finding.fix!.sql).toBe(true);
      if (!parsed.ok) continue;
      for (const { ast } of parsed.statements) {
        const stmt = ast.IndexStmt;
        if (!stmt) continue;
        const table = findTableExact(schema, stmt.relation.schemaname ?? "public", stmt.relation.relname)!;
        const names = stmt.indexParams.map((p: any) => p.IndexElem.name).filter(Boolean);
        expect(names.filter((n: string) => !table.columns.some((c) => c.name === n)), finding.fix!.sql).toEqual([]);
      }
    }
  });

  it("every fix executes; before it no index reaches the query as the new one does, after it the planner uses the new one (generic plans)", async () => {
    await replayMigrations(db, result.sets[0].statements);
    const checks = await checkQueryIndexFindings(db, result);
    expect(checks.length).toBe(7);
    for (const check of checks) {
      expect({ fix: check.finding.fix!.sql, servedBefore: check.servedBefore, notServedAfter: check.notServedAfter }).toEqual({
        fix: check.finding.fix!.sql,
        servedBefore: [],
        notServedAfter: [],
      });
    }
  });
});
