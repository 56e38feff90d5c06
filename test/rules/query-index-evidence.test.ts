// What the query-index rule needs to see before it calls an extension of a working index worth doing, or
// any index for a clean-up job's cut-off, and how it judges a join whose other table is pinned. Planner
// verdicts are PGlite's (PostgreSQL 18) under a generic plan, as a client binding parameters gets.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern, ColumnPredicate, OrderTerm } from "../../src/core/types.js";
import { pattern } from "../advisor/support/schema.js";
import { startPGlite } from "../support/pglite.js";
import { queryIndexOn as ruleOn } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());


/** The generic plan (text) PostgreSQL picks for `query` once `setup` and each statement of `indexes` have run and the tables are analyzed. */
async function genericPlan(setup: string, query: string, types: string[], args: string[], indexes: string[] = []): Promise<string> {
  await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET plan_cache_mode = force_generic_plan;");
  await db.exec(setup);
  for (const statement of indexes) await db.exec(statement);
  await db.exec("ANALYZE;");
  await db.exec(`PREPARE q(${types.join(", ")}) AS ${query}`);
  try {
    const res = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN (COSTS OFF) EXECUTE q(${args.join(", ")})`);
    return res.rows.map((r) => r["QUERY PLAN"]).join("\n");
  } finally {
    await db.exec("DEALLOCATE q; RESET plan_cache_mode;");
  }
}

const param = (column: string, value?: string): ColumnPredicate => ({ column, op: "eq", sentAs: "param", ...(value ? { value } : {}) });
const since = (column: string): ColumnPredicate => ({ column, op: "range", operator: ">=", sentAs: "param" });
const before = (column: string): ColumnPredicate => ({ column, op: "range", operator: "<", sentAs: "param" });
const desc = (column: string): OrderTerm => ({ column, descending: true, nullsFirst: null });
const at = (line: number) => ({ file: "src/jobs/housekeeping.ts", line, column: 9 });
const q = (table: string, predicates: ColumnPredicate[], extra: Partial<AccessPattern> = {}) => pattern(table, predicates, { source: "prisma", ...extra });

describe("extending an index that already finds a key's rows", () => {
  it("a unique key over the query's equality columns and a member bounds the set: NOTED, saying so, even with a latest-N order", () => {
    const SEATS = `CREATE TABLE members (id bigint PRIMARY KEY);
CREATE TABLE review_queues (id bigint PRIMARY KEY, workspace_id bigint NOT NULL);
CREATE TABLE queue_seats (
  id bigint PRIMARY KEY, workspace_id bigint NOT NULL, queue_id bigint NOT NULL REFERENCES review_queues (id),
  member_id bigint NOT NULL REFERENCES members (id), created_at timestamptz NOT NULL,
  UNIQUE (workspace_id, queue_id, member_id)
);
`;
    const latest = q("queue_seats", [param("workspace_id"), param("queue_id")], { orderBy: [desc("created_at")], limited: true });
    const added = q("queue_seats", [], { kind: "insert" });
    const [f] = ruleOn(SEATS, [latest, added]);
    expect(f.severity).toBe("noted");
    expect(f.details).toContain("is unique on (workspace_id, queue_id, member_id), so the rows of one workspace_id, queue_id are at most one per member_id: a bounded set");
    expect(f.message).not.toContain("grows without bound");
  });

  it("a unique key whose other column is the row's own id bounds nothing", () => {
    const NOTES = `CREATE TABLE notes (id bigint NOT NULL, workspace_id bigint NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (workspace_id, id));
CREATE INDEX notes_workspace_id_idx ON notes (workspace_id);
`;
    const latest = q("notes", [param("workspace_id")], { orderBy: [desc("created_at")], limited: true });
    const added = q("notes", [], { kind: "insert" });
    expect(ruleOn(NOTES, [latest, added]).map((f) => f.severity)).toEqual(["routine"]);
  });

  it("a window the used index already bounds after the key reads one key's rows in that window: NOTED, and the planner bounds the scan by both", async () => {
    const PAYMENTS = `CREATE TABLE payments (
  id bigint PRIMARY KEY, account_id bigint NOT NULL, amount numeric NOT NULL, currency text NOT NULL, booked_on date NOT NULL
);
CREATE INDEX payments_account_booked_idx ON payments (account_id, booked_on);
`;
    const match = q("payments", [param("account_id"), param("amount"), param("currency"), since("booked_on")], { functionName: "matchIncoming" });
    const [f] = ruleOn(PAYMENTS, [match]);
    expect(f.severity).toBe("noted");
    expect(f.details).toContain("already bounds the scan to one key's rows within a window of booked_on");
    expect(f.fix?.sql).not.toContain("DROP INDEX");
    const rows = "INSERT INTO payments SELECT g, g % 200, g % 1000, 'EUR', date '2024-01-01' + (g % 700) FROM generate_series(1, 40000) g;";
    const plan = await genericPlan(
      PAYMENTS + rows,
      "SELECT * FROM payments WHERE account_id = $1 AND amount = $2 AND currency = $3 AND booked_on >= $4",
      ["bigint", "numeric", "text", "date"],
      ["7", "7", "'EUR'", "date '2025-11-01'"],
    );
    expect(plan).toMatch(/payments_account_booked_idx[^]*Index Cond: \(\(account_id = \$1\) AND \(booked_on >= \$4\)\)/);
  });

  it("a paged listing (time order with the primary key as tie-breaker) is evidence that one key's rows outgrow a page: ROUTINE", () => {
    const BOARDS = `CREATE TABLE boards (id bigint PRIMARY KEY, folder_id bigint NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX boards_folder_id_idx ON boards (folder_id);
`;
    const page = q("boards", [param("folder_id")], { orderBy: [desc("created_at"), desc("id")], limited: true, functionName: "listBoards" });
    const [f] = ruleOn(BOARDS, [page]);
    expect(f.severity).toBe("routine");
    expect(f.message).toContain("`listBoards()` pages through one key's rows in created_at, id order");
    expect(f.fix?.sql).toContain("DROP INDEX CONCURRENTLY IF EXISTS boards_folder_id_idx");
    // The latest one of a folder's boards (findFirst) is no listing: NOTED.
    const newest = q("boards", [param("folder_id")], { orderBy: [desc("created_at")], limited: true });
    expect(ruleOn(BOARDS, [newest]).map((f) => f.severity)).toEqual(["noted"]);
  });
});

describe("a clean-up job's cut-offs", () => {
  const POLLS = `CREATE TABLE polls (id bigint PRIMARY KEY, deleted boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL);
CREATE TABLE votes (id bigint PRIMARY KEY, poll_id bigint NOT NULL REFERENCES polls (id), created_at timestamptz NOT NULL);
`;
  it("an \"older than\" cut-off in an UPDATE matches every old row the table keeps: no index for it; in a retention DELETE it stays advised", () => {
    const mark = q("polls", [param("deleted", "false"), before("updated_at")], { kind: "update", location: at(12), functionName: "markInactivePolls" });
    expect(ruleOn(POLLS, [mark])).toEqual([]);
    // A DELETE removes what crossed the cut-off, so each run matches only what crossed since the last one.
    const purge = q("votes", [before("created_at")], { kind: "delete", location: at(30) });
    expect(ruleOn(POLLS, [purge]).map((f) => f.columns)).toEqual([["created_at"]]);
    // A keyset page (`created_at < $cursor ORDER BY created_at DESC LIMIT`) reads only its page: still advised.
    const page = q("votes", [param("poll_id"), before("created_at")], { orderBy: [desc("created_at")], limited: true });
    expect(ruleOn(POLLS, [page]).map((f) => f.columns)).toEqual([["poll_id", "created_at"]]);
  });

  it("a read inside the sweep's statement (a relation filter on recent votes) runs once per run of the job: NOTED, naming the sweep", () => {
    const mark = q("polls", [param("deleted", "false"), before("updated_at")], { kind: "update", location: at(12), functionName: "markInactivePolls" });
    const recentVotes = q("votes", [since("created_at")], { location: at(12), functionName: "markInactivePolls" });
    const [f] = ruleOn(POLLS, [mark, recentVotes]);
    expect([f.severity, f.columns]).toEqual(["noted", ["created_at"]]);
    expect(f.details).toContain("part of a sweep, the UPDATE of polls at src/jobs/housekeeping.ts:12");
    // The same read on its own, on a request path: advised as before.
    const alone = q("votes", [since("created_at")], { location: at(40) });
    expect(ruleOn(POLLS, [mark, alone]).map((f) => f.severity)).toEqual(["routine"]);
  });
});

describe("a join whose other table is pinned by an equality", () => {
  const SHOP = `CREATE TABLE stores (id bigint PRIMARY KEY, owner_id bigint NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, store_id bigint NOT NULL REFERENCES stores (id), channel text NOT NULL, created_at timestamptz NOT NULL);
`;
  const ROWS = `INSERT INTO stores SELECT g, g % 2000, now() FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + g % 20000, CASE WHEN g % 2 = 0 THEN 'web' ELSE 'pos' END, now() - (g % 2160) * interval '1 hour' FROM generate_series(1, 150000) g;`;
  const QUERY = "SELECT count(o.id) FROM orders o JOIN stores s ON o.store_id = s.id WHERE s.owner_id = $1 AND o.created_at >= $2 AND o.channel = $3";
  // As the Drizzle extractor reads `.from(orders).innerJoin(stores, eq(orders.storeId, stores.id)).where(and(eq(stores.ownerId, id), gte(...), eq(orders.channel, "web")))`.
  const site = { location: { file: "src/limits.ts", line: 40, column: 9 }, functionName: "countRecentOrders", source: "drizzle" as const };
  const orders = pattern("orders", [since("created_at"), param("channel", "'web'")], { ...site, joins: [{ table: "stores", columns: ["id"] }] });
  const stores = pattern("stores", [param("id"), param("owner_id")], { ...site, limited: true });

  it("recommends the join path, stores(owner_id) then orders(store_id, created_at), never a global (channel, created_at); the planner agrees", async () => {
    const findings = ruleOn(SHOP, [orders, stores]);
    expect(findings.map((f) => [f.table, f.columns]).sort()).toEqual([
      ["public.orders", ["store_id", "created_at"]],
      ["public.stores", ["owner_id"]],
    ]);
    const onOrders = findings.find((f) => f.table === "public.orders")!;
    expect(onOrders.details).toContain("through the join from stores, which owner_id pins");
    expect(onOrders.details).toContain("checking channel on the few rows it fetches");
    const fixes = findings.map((f) => f.fix!.sql.replace(" CONCURRENTLY", ""));
    await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET plan_cache_mode = force_generic_plan;");
    await db.exec(SHOP + ROWS);
    await db.exec("PREPARE q(bigint, timestamptz, text) AS " + QUERY);
    const plan = async (indexes: string[]) => {
      for (const statement of indexes) await db.exec(statement);
      await db.exec("ANALYZE;");
      const res = await db.query<{ "QUERY PLAN": string }>("EXPLAIN (COSTS OFF) EXECUTE q(7, now() - interval '24 hours', 'web')");
      return res.rows.map((r) => r["QUERY PLAN"]).join("\n");
    };
    try {
      // The global index alone is used (so the check below can fail)...
      expect(await plan(["CREATE INDEX orders_channel_created_at_idx ON orders (channel, created_at)"])).toContain("orders_channel_created_at_idx");
      // ...but beside the two path indexes it is never chosen: a nested loop, the owner's stores, then each store's orders in the window.
      const path = await plan(fixes);
      expect(path).toMatch(/Nested Loop[^]*idx_stores_owner_id[^]*idx_orders_store_id_created_at/);
      expect(path).not.toContain("orders_channel_created_at_idx");
    } finally {
      await db.exec("DEALLOCATE q; RESET plan_cache_mode;");
    }
  });

  it("an existing index for the path leaves nothing to say", () => {
    const indexed = `${SHOP}CREATE INDEX stores_owner_id_idx ON stores (owner_id);
CREATE INDEX orders_store_id_created_at_idx ON orders (store_id, created_at);
`;
    expect(ruleOn(indexed, [orders, stores])).toEqual([]);
  });
});

describe("the key's order", () => {
  it("a column of an enum type, or named for a state, goes after the selective equality column it sits beside", () => {
    const TICKETS = `CREATE TYPE ticket_progress AS ENUM ('new', 'open', 'waiting', 'closed');
CREATE TABLE tickets (id bigint PRIMARY KEY, progress ticket_progress NOT NULL, priority text NOT NULL, requester_email text NOT NULL);
`;
    const byEnum = q("tickets", [param("progress", "'open'"), param("requester_email")], { limited: true });
    expect(ruleOn(TICKETS, [byEnum]).map((f) => f.columns)).toEqual([["requester_email", "progress"]]);
    const byName = q("tickets", [param("priority", "'high'"), param("requester_email")], { limited: true });
    expect(ruleOn(TICKETS, [byName]).map((f) => f.columns)).toEqual([["requester_email", "priority"]]);
  });
});

describe("a NULL test left to row checks", () => {
  const INBOX = `CREATE TABLE teams (id bigint PRIMARY KEY);
CREATE TABLE inbox_items (
  id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id), status text NOT NULL,
  matched_id bigint, created_at timestamptz NOT NULL
);
CREATE INDEX inbox_items_team_status_created_idx ON inbox_items (team_id, status, created_at);
`;
  const isNull = (column: string): ColumnPredicate => ({ column, op: "is-null", sentAs: "literal" });

  it("is no key: with the rows found in order, a partial index on it is NOTED, saying it pays only when most rows fail the test", () => {
    const pending = q("inbox_items", [param("team_id"), param("status"), isNull("matched_id")], { orderBy: [desc("created_at")], limited: true });
    const added = q("inbox_items", [], { kind: "insert" });
    const found = ruleOn(INBOX, [pending, added]);
    expect(found.map((f) => f.severity)).toEqual(["noted"]);
    expect(found[0].details).toContain("leaves only the NULL test on matched_id to row checks");
  });

  it("keeps the finding when the index cannot give the order the LIMIT needs", () => {
    const unordered = INBOX.replace("(team_id, status, created_at)", "(team_id, status)");
    const pending = q("inbox_items", [param("team_id"), param("status"), isNull("matched_id")], { orderBy: [desc("created_at")], limited: true });
    const added = q("inbox_items", [], { kind: "insert" });
    expect(ruleOn(unordered, [pending, added]).map((f) => f.severity)).toEqual(["routine"]);
  });
});

describe("a NULL test marking the rows a sweep has not handled yet", () => {
  it("keeps the partial index ROUTINE under an open range: the rows already handled fail the test, and the range reads them all", () => {
    const RECIPIENTS = `CREATE TABLE recipients (id bigint PRIMARY KEY, expires_at timestamptz, notified_at timestamptz);
CREATE INDEX recipients_expires_at_idx ON recipients (expires_at);
`;
    const sweep = q("recipients", [before("expires_at"), { column: "notified_at", op: "is-null", sentAs: "literal" }], { limited: true });
    const found = ruleOn(RECIPIENTS, [sweep]);
    expect(found.map((f) => f.severity)).toEqual(["routine"]);
    expect(found[0].fix?.sql).toContain('WHERE notified_at IS NULL');
  });
});
