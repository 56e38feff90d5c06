// Classes of advice, each pinned as named cases checked against the real planner (PGlite,
// PostgreSQL 18): the matcher's verdict for an existing index, and the recommended index applied to
// the same query.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchIndex, type Verdict } from "../../src/advisor/match.js";
import { adviseTable } from "../../src/advisor/recommend.js";
import type { AccessPattern, ColumnPredicate, OrderTerm } from "../../src/core/types.js";
import { type DiffCase, type IndexSpec, TABLE_NAME, explainPattern, plannerVerdict, preparePlanner, runCases, setupDiffTable, tableModel } from "./support/planner-diff.js";
import { pattern, schemaFrom } from "./support/schema.js";
import { startPGlite } from "../support/pglite.js";
import { queryIndexOn as ruleOn } from "../rules/helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

const boolTest = (column: string, value: "true" | "false" | "not true" | "not false"): ColumnPredicate => ({ column, op: "bool-test", value, sentAs: "literal" });
const flag = (column: string, value = "true"): ColumnPredicate => ({ column, op: "bool", value, sentAs: "literal" });
const param = (column: string, value = "1"): ColumnPredicate => ({ column, op: "eq", value, sentAs: "param" });

function diffCase(index: IndexSpec, predicates: ColumnPredicate[], orderBy: OrderTerm[] = [], limited = false): DiffCase {
  return { n: 0, index, pattern: pattern(TABLE_NAME, predicates, { orderBy, limited, source: "sql-in-code" }) };
}

async function run(c: DiffCase): Promise<{ planner: Verdict; matcher: Verdict; declined: string | null; sql: string }> {
  const summary = await runCases(db, [c], matchIndex);
  const o = summary.outcomes[0];
  return { planner: o.planner, matcher: o.matcher, declined: o.declined, sql: `${o.indexSql}; ${o.sql}` };
}

/** The recommender's index for one query on the bare table, built in PGlite, and the planner's verdict on it. */
async function recommendAndPlan(p: AccessPattern): Promise<{ sql: string; verdict: Verdict | null }> {
  await setupDiffTable(db);
  const advice = adviseTable(tableModel([]), [p]);
  const rec = advice.recommendations[0];
  if (!rec) return { sql: "", verdict: null };
  for (const statement of rec.sql.split("\n")) await db.exec(statement);
  try {
    const plan = await explainPattern(db, p);
    return { sql: rec.sql, verdict: plannerVerdict(plan, rec.name, rec.keys[0].column ?? rec.keys[0].expression!, p, rec.where !== null).verdict };
  } finally {
    await db.exec(`DROP INDEX IF EXISTS ${rec.name}`);
  }
}

describe("boolean tests, proved the way predtest.c proves them", () => {
  // `.is('f', true)` sends `f IS TRUE`: false for NULL, unlike `f`, and predtest.c proves a partial
  // index's WHERE from it only when that WHERE is the same test.
  const partial = (where: string): IndexSpec => ({ keys: [{ column: "a", descending: false }], unique: false, where });
  it.each([
    ["f IS TRUE does not prove WHERE f", "f", boolTest("f", "true"), "not-served"],
    ["f IS TRUE does not prove WHERE f = true", "f = true", boolTest("f", "true"), "not-served"],
    ["f IS TRUE does not prove WHERE f IS NOT NULL", "f IS NOT NULL", boolTest("f", "true"), "not-served"],
    ["f IS TRUE proves WHERE f IS TRUE", "f IS TRUE", boolTest("f", "true"), "served"],
    ["f IS FALSE does not prove WHERE NOT f", "NOT f", boolTest("f", "false"), "not-served"],
    ["f IS FALSE proves WHERE f IS FALSE", "f IS FALSE", boolTest("f", "false"), "served"],
    ["f IS NOT TRUE proves WHERE f IS NOT TRUE", "f IS NOT TRUE", boolTest("f", "not true"), "served"],
    ["f IS NOT FALSE proves WHERE f IS NOT FALSE", "f IS NOT FALSE", boolTest("f", "not false"), "served"],
    ["f IS NOT FALSE does not prove WHERE f IS NOT TRUE", "f IS NOT TRUE", boolTest("f", "not false"), "not-served"],
    ["f does not prove WHERE f IS TRUE", "f IS TRUE", flag("f"), "not-served"],
  ] as Array<[string, string, ColumnPredicate, Verdict]>)("%s", async (_, where, clause, verdict) => {
    const r = await run(diffCase(partial(where), [param("a"), clause]));
    expect(r, r.sql).toMatchObject({ planner: verdict, matcher: verdict, declined: null });
  });

  it.each([
    ["f IS TRUE searches an index on f", boolTest("f", "true"), "served"],
    ["f IS FALSE searches an index on f", boolTest("f", "false"), "served"],
    ["f IS NOT TRUE does not", boolTest("f", "not true"), "not-served"],
  ] as Array<[string, ColumnPredicate, Verdict]>)("%s", async (_, clause, verdict) => {
    const r = await run(diffCase({ keys: [{ column: "f", descending: false }], unique: false, where: null }, [clause]));
    expect(r, r.sql).toMatchObject({ planner: verdict, matcher: verdict, declined: null });
  });

  it.each(["true", "false", "not true", "not false"] as const)("the fix for `IS %s` writes the same test into its WHERE, and the planner uses it", async (value) => {
    const p = pattern(TABLE_NAME, [param("a"), boolTest("f", value)], { source: "supabase-js" });
    const { sql, verdict } = await recommendAndPlan(p);
    expect(sql).toContain(`WHERE f IS ${value.toUpperCase()}`);
    expect(verdict, sql).toBe("served");
  });
});

// ---------------------------------------------------------------- the query-index rule on a schema, checked in PGlite


/** Builds the schema and the fix in PGlite; the plan of the pattern under a generic plan. */
async function planWith(sql: string, fix: string | null, p: AccessPattern): Promise<string> {
  await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  await db.exec(sql);
  if (fix) for (const statement of fix.split("\n")) await db.exec(statement);
  await preparePlanner(db);
  const table = schemaFrom(sql).tables.find((t) => t.name === p.table)!;
  const typeOf = (column: string) => table.columns.find((c) => c.name === column)?.type ?? "text";
  return JSON.stringify(await explainPattern(db, p, p.table, typeOf));
}

const ORDERS = `CREATE TABLE orders (
  id bigint PRIMARY KEY, store_id bigint NOT NULL, pickup_code text NOT NULL, status text NOT NULL,
  is_paid boolean NOT NULL DEFAULT false, closed_at timestamptz, created_at timestamptz NOT NULL
);
CREATE INDEX orders_store_id_idx ON orders (store_id);
`;
const desc = (column: string): OrderTerm => ({ column, descending: true, nullsFirst: null });
const q = (table: string, predicates: ColumnPredicate[], extra: Partial<AccessPattern> = {}) => pattern(table, predicates, { source: "supabase-js", ...extra });
const lower = (column: string, operator: ">=" | ">", value = "2025-01-01"): ColumnPredicate => ({ column, op: "range", operator, value: `'${value}'`, sentAs: "param" });
const upper = (column: string, operator: "<" | "<=", value = "2025-01-02"): ColumnPredicate => ({ column, op: "range", operator, value: `'${value}'`, sentAs: "param" });
const nul = (column: string): ColumnPredicate => ({ column, op: "is-null", sentAs: "literal" });

describe("an index that serves a query only in part", () => {
  it.each([
    [
      "a one-row lookup that reads every order of the store",
      q("orders", [param("store_id"), param("pickup_code", "'A1'"), nul("closed_at")]),
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_store_id_pickup_code ON orders (store_id, pickup_code) WHERE closed_at IS NULL;",
    ],
    [
      "one day's takings read from the store's whole history",
      q("orders", [param("store_id"), param("status", "'paid'"), lower("created_at", ">="), upper("created_at", "<")]),
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_store_id_status_created_at ON orders (store_id, status, created_at);\nDROP INDEX CONCURRENTLY IF EXISTS orders_store_id_idx;",
    ],
    [
      "the latest 50 of a store's orders with a status",
      q("orders", [param("store_id"), param("status", "'paid'")], { orderBy: [desc("created_at")], limited: true }),
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_store_id_status_created_at ON orders (store_id, status, created_at DESC);\nDROP INDEX CONCURRENTLY IF EXISTS orders_store_id_idx;",
    ],
    [
      "the latest 20 per key, with an index on the key alone",
      q("orders", [param("store_id")], { orderBy: [desc("created_at")], limited: true }),
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_store_id_created_at ON orders (store_id, created_at DESC);\nDROP INDEX CONCURRENTLY IF EXISTS orders_store_id_idx;",
    ],
  ])("%s: the extended index, which the planner uses without a sort", async (_, p, fix) => {
    // Only the ORDER BY left undone: the store's rows are many only on evidence, here the code's own
    // append-only inserts (it places orders and never edits them).
    const keyOnly = p.predicates.every((x) => x.column === "store_id");
    const placed = { ...pattern("orders", []), kind: "insert" as const };
    const findings = ruleOn(ORDERS, keyOnly ? [p, placed] : [p]);
    if (keyOnly) {
      // Without it, NOTED, and the fix keeps the index that finds the store's rows today.
      const bare = ruleOn(ORDERS, [p]);
      expect(bare.map((f) => [f.severity, f.fix?.sql])).toEqual([["noted", fix.split("\n")[0]]]);
      expect(bare[0].details).toContain("The fix keeps orders_store_id_idx");
    }
    // ROUTINE for a time window or the latest N (a key's history grows without bound); a plain lookup
    // within one store is NOTED until a size hint says the table is large or append-only.
    const timeBound = p.predicates.some((x) => x.op === "range") || p.orderBy.length > 0;
    expect(findings.map((f) => [f.severity, f.fix?.sql])).toEqual([[timeBound ? "routine" : "noted", fix]]);
    if (!timeBound) {
      expect(findings[0].details).toContain("a size hint for orders makes it ROUTINE");
      expect(ruleOn(ORDERS, [p], { tables: { orders: { rows: 1_000_000 } } }).map((f) => f.severity)).toEqual(["routine"]);
      expect(ruleOn(ORDERS, [p], { tables: { orders: { "append-only": true } } }).map((f) => f.severity)).toEqual(["routine"]);
    }
    expect(findings[0].message).toContain("orders_store_id_idx finds the rows by store_id only");
    const before = await planWith(ORDERS, null, p);
    expect(before).toContain("orders_store_id_idx");
    const after = await planWith(ORDERS, fix, p);
    const name = /IF NOT EXISTS (\S+)/.exec(fix)![1];
    expect(after).toContain(`"Index Name":"${name}"`);
    expect(after).not.toContain('"Node Type":"Sort"');
  });

  it("never claims to serve a query the new index still has to sort for: (a, b, c) gives order c only under equality on a and b", async () => {
    const PRODUCTS = `CREATE TABLE products (
  id bigint PRIMARY KEY, team_id bigint NOT NULL, is_active boolean NOT NULL, usage_count int NOT NULL, last_used_at timestamptz
);
CREATE INDEX products_team_active_idx ON products (team_id, is_active);
`;
    const popular = q("products", [param("team_id"), flag("is_active")], { orderBy: [desc("usage_count"), desc("last_used_at")], limited: true });
    const recent = q("products", [param("team_id"), flag("is_active")], { orderBy: [desc("last_used_at")], limited: true });
    const findings = ruleOn(PRODUCTS, [popular, recent]);
    // One index per order: each finding serves only the query whose order it gives.
    expect(findings.map((f) => f.fix?.sql.split("\n")[0])).toEqual([
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_products_team_id_usage_count_last_used_at ON products (team_id, usage_count DESC, last_used_at DESC) WHERE is_active = true;",
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_products_team_id_last_used_at ON products (team_id, last_used_at DESC) WHERE is_active = true;",
    ]);
    for (const [f, p] of [[findings[0], popular], [findings[1], recent]] as const) {
      const name = /IF NOT EXISTS (\S+)/.exec(f.fix!.sql)![1];
      const plan = await planWith(PRODUCTS, f.fix!.sql.split("\n")[0], p);
      expect(plan).toContain(`"Index Name":"${name}"`);
      expect(plan).not.toContain('"Node Type":"Sort"');
    }
  });

  it("does not put a column into the key whose filter value is its DEFAULT, the value most rows hold", async () => {
    const SYNC = `CREATE TABLE sync_records (
  id bigint PRIMARY KEY, team_id bigint NOT NULL, provider text NOT NULL, status text NOT NULL DEFAULT 'synced', created_at timestamptz NOT NULL
);
CREATE INDEX sync_records_team_provider_idx ON sync_records (team_id, provider);
`;
    const synced = q("sync_records", [param("team_id"), param("provider", "'xero'"), param("status", "'synced'")]);
    expect(ruleOn(SYNC, [synced])).toEqual([]);
    // The planner agrees the existing index finds the rows.
    expect(await planWith(SYNC, null, synced)).toContain('"Index Name":"sync_records_team_provider_idx"');
    // Any other value is selective, and the finding stands (NOTED: nothing shows a team's rows growing).
    const failed = q("sync_records", [param("team_id"), param("provider", "'xero'"), param("status", "'failed'")]);
    expect(ruleOn(SYNC, [failed]).map((f) => [f.severity, f.columns])).toEqual([["noted", ["team_id", "provider", "status"]]]);
  });

  it("is NOTED when a size hint says the table stays small", () => {
    const p = q("orders", [param("store_id"), param("pickup_code", "'A1'"), nul("closed_at")]);
    expect(ruleOn(ORDERS, [p], { tables: { orders: { rows: 2_000 } } }).map((f) => f.severity)).toEqual(["noted"]);
  });

  it("is skipped when the bound columns already find at most one row", () => {
    const unique = ORDERS.replace("CREATE INDEX orders_store_id_idx", "CREATE UNIQUE INDEX orders_store_id_idx");
    expect(ruleOn(unique, [q("orders", [param("store_id"), param("pickup_code", "'A1'"), nul("closed_at")])])).toEqual([]);
  });

  it("is skipped when the only filter left is a boolean, which narrows little", () => {
    expect(ruleOn(ORDERS, [q("orders", [param("store_id"), { column: "is_paid", op: "bool", value: "true", sentAs: "param" }])])).toEqual([]);
  });
});

describe("an index that only supplies the ORDER BY does not serve the filter", () => {
  const USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, is_admin boolean NOT NULL DEFAULT false);";
  it("recommends (email, id DESC) for WHERE email = $1 ORDER BY id DESC LIMIT 50 with only the primary key", async () => {
    const p = q("users", [param("email", "'a@b.c'")], { orderBy: [desc("id")], limited: true });
    const findings = ruleOn(USERS, [p]);
    expect(findings.map((f) => [f.severity, f.fix?.sql])).toEqual([["routine", "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email_id ON users (email, id DESC);"]]);
    expect(findings[0].message).toContain("users_pkey only supplies the ORDER BY");
    // The planner reads users_pkey backwards and filters email on every row...
    const before = await planWith(USERS, null, p);
    expect(before).toMatch(/"Index Name":"users_pkey".*"Filter":"\(email = \$1\)"/);
    // ...and with the fix bounds the scan by email and still needs no sort.
    const after = await planWith(USERS, findings[0].fix!.sql, p);
    expect(after).toMatch(/"Index Name":"idx_users_email_id".*"Index Cond":"\(email = \$1\)"/);
    expect(after).not.toContain('"Node Type":"Sort"');
  });

  it("leaves a filter on a boolean column alone", () => {
    const p = q("users", [{ column: "is_admin", op: "bool", value: "true", sentAs: "param" }], { orderBy: [desc("id")], limited: true });
    expect(ruleOn(USERS, [p])).toEqual([]);
  });
});

describe("PostgreSQL 18 skip scan", () => {
  const SHIPMENTS = "CREATE TABLE scans (id bigint PRIMARY KEY, shipment_id bigint NOT NULL, score int NOT NULL); CREATE INDEX scans_score_shipment_idx ON scans (score, shipment_id);";
  it("with (score, shipment_id) only, the top score of one shipment is a skip scan over score: NOTED, not served", async () => {
    const p = q("scans", [param("shipment_id")], { orderBy: [desc("score")], limited: true });
    const findings = ruleOn(SHIPMENTS, [p]);
    expect(findings.map((f) => [f.severity, f.title])).toEqual([["noted", "Index reachable only by skip scan"]]);
    expect(findings[0].fix?.sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scans_shipment_id_score ON scans (shipment_id, score DESC);");
    // The planner: the index read in score order with shipment_id in its Index Cond, under no bound on score.
    const plan = await planWith(SHIPMENTS, null, p);
    expect(plan).toMatch(/"Index Name":"scans_score_shipment_idx".*"Index Cond":"\(shipment_id = \$1\)"/);
  });
});

describe("predicates no index helps, and a cast on the key column", () => {
  const EVENTS = "CREATE TABLE events (id uuid PRIMARY KEY, name text NOT NULL, note text, created_at timestamptz NOT NULL);";
  const SESSIONS = 'CREATE TABLE sessions (id uuid PRIMARY KEY, expires_at timestamptz NOT NULL, "nextRetryAt" timestamptz);';
  it.each([
    ["a whole-table read with no filter", q("events", [])],
    ["col IS NOT NULL", q("events", [{ column: "note", op: "is-not-null", sentAs: "literal" }])],
    ["col <> ''", q("events", [{ column: "note", op: "neq", value: "''", sentAs: "literal" }])],
    ["an open-ended created_at <= now()", q("events", [{ column: "created_at", op: "range", operator: "<=", sentAs: "param", clock: "now" }])],
  ])("%s: no recommendation", (_, p) => {
    expect(ruleOn(EVENTS, [p])).toEqual([]);
  });

  it.each([
    ["expires_at > now(): every row still live", q("sessions", [{ column: "expires_at", op: "range", operator: ">", sentAs: "param", clock: "now" }])],
    ["expires_at >= $1: every row still live", q("sessions", [{ column: "expires_at", op: "range", operator: ">=", sentAs: "param" }])],
  ])("open-ended %s: no recommendation", (_, p) => {
    expect(ruleOn(`${EVENTS} ${SESSIONS}`, [p])).toEqual([]);
  });

  it("open-ended ranges that select few rows by what the column means do get one: recent rows, a retention cutoff, rows whose deadline passed", () => {
    const recent = q("events", [{ column: "created_at", op: "range", operator: ">", sentAs: "param", clock: "shifted" }]);
    const since = q("events", [{ column: "name", op: "eq", sentAs: "param" }, { column: "created_at", op: "range", operator: ">=", sentAs: "param" }]);
    const expired = q("sessions", [{ column: "expires_at", op: "range", operator: "<", sentAs: "param", clock: "now" }]);
    const due = q("sessions", [{ column: "nextRetryAt", op: "range", operator: "<=", sentAs: "param" }]);
    expect(ruleOn(`${EVENTS} ${SESSIONS}`, [recent, since, expired, due]).map((f) => f.fix?.sql).sort()).toEqual([
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_created_at ON events (created_at);",
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_name_created_at ON events (name, created_at);",
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_nextretryat ON sessions ("nextRetryAt");',
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_expires_at ON sessions (expires_at);",
    ].sort());
  });

  it("the planner agrees on an append-only table: created_at >= $1 reads the index even in a generic plan, created_at <= now() reads the table", async () => {
    await db.exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${EVENTS}
      INSERT INTO events SELECT gen_random_uuid(), 'e', NULL, now() - (i * interval '5 minutes') FROM generate_series(1, 100000) i;
      CREATE INDEX events_created_at_idx ON events (created_at); ANALYZE events;
      RESET ALL; SET plan_cache_mode = force_generic_plan;`);
    const plan = async (sql: string) => JSON.stringify((await db.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows);
    await db.exec("PREPARE since(timestamptz) AS SELECT * FROM events WHERE created_at >= $1");
    expect(await plan(`EXECUTE since(now() - interval '1 day')`)).toContain("events_created_at_idx");
    await db.exec("PREPARE recent AS SELECT * FROM events WHERE created_at > now() - interval '1 day'");
    expect(await plan("EXECUTE recent")).toContain("events_created_at_idx");
    await db.exec("PREPARE everything AS SELECT * FROM events WHERE created_at <= now()");
    expect(await plan("EXECUTE everything")).not.toContain("events_created_at_idx");
    await db.exec("DEALLOCATE ALL");
    await preparePlanner(db);
  });

  it("a bounded range does get one", () => {
    const p = q("events", [lower("created_at", ">="), upper("created_at", "<")]);
    expect(ruleOn(EVENTS, [p]).map((f) => f.fix?.sql)).toEqual(["CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_created_at ON events (created_at);"]);
  });

  it("WHERE id::text = $1 on a primary key: change the query, not the schema", async () => {
    const p = q("events", [{ expression: "id::text", op: "eq", value: "'x'", sentAs: "param" }], { source: "sql-in-code" });
    const findings = ruleOn(EVENTS, [p]);
    expect(findings).toHaveLength(1);
    expect(findings[0].fix).toBeUndefined();
    expect(findings[0].message).toContain("Compare the column itself and cast the value instead (`id = $1::uuid`)");
    // The planner agrees: the cast comparison cannot use events_pkey, the rewritten one can.
    await db.exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${EVENTS}`);
    await preparePlanner(db);
    const uses = async (sql: string) => JSON.stringify((await db.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows).includes("events_pkey");
    await db.exec("SET plan_cache_mode = auto");
    expect(await uses("SELECT * FROM events WHERE id::text = '00000000-0000-0000-0000-000000000000'")).toBe(false);
    expect(await uses("SELECT * FROM events WHERE id = '00000000-0000-0000-0000-000000000000'::uuid")).toBe(true);
  });
});

describe("a partial index that only custom plans can use, under plan_cache_mode = auto", () => {
  it("PostgreSQL keeps choosing the custom plan while the partial index makes it far cheaper: the advice says it may stop, not that it will", async () => {
    await db.exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public;
      CREATE TABLE calls (id bigint PRIMARY KEY, status text NOT NULL, heartbeat int NOT NULL);
      INSERT INTO calls SELECT g, CASE WHEN g % 100 = 0 THEN 'accepted' ELSE 'ended' END, g FROM generate_series(1, 20000) g;
      CREATE INDEX calls_accepted_idx ON calls (heartbeat) WHERE status = 'accepted';
      ANALYZE calls;
      RESET enable_seqscan; RESET enable_sort; SET plan_cache_mode = auto;
      PREPARE orphaned(text) AS SELECT id FROM calls WHERE status = $1 ORDER BY heartbeat LIMIT 5;`);
    try {
      for (let i = 0; i < 8; i++) await db.query("EXECUTE orphaned('accepted')");
      const plan = JSON.stringify((await db.query("EXPLAIN (FORMAT JSON) EXECUTE orphaned('accepted')")).rows);
      expect(plan).toContain("calls_accepted_idx");
    } finally {
      await db.exec("DEALLOCATE orphaned");
    }
    const sql = "CREATE TABLE calls (id bigint PRIMARY KEY, status text NOT NULL, heartbeat int NOT NULL); CREATE INDEX calls_status_idx ON calls (status); CREATE INDEX calls_accepted_idx ON calls (heartbeat) WHERE status = 'accepted';";
    const p = q("calls", [param("status", "'accepted'")], { orderBy: [{ column: "heartbeat", descending: false, nullsFirst: null }], limited: true });
    const [f] = ruleOn(sql, [p]);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("may stop using calls_accepted_idx");
    expect(f.fix?.sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_calls_status_heartbeat ON calls (status, heartbeat);");
  });
});
