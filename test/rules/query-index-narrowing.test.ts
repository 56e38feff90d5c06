// What narrows a query and what does not, as the query-index rule weighs it: filters on columns with few
// values, a column another one fixes through a foreign key, OR and LIKE filters and a count beside an
// ORDER BY ... LIMIT, growth evidence, and Prisma's relation filters. Planner verdicts are PGlite's
// (PostgreSQL 18) on a populated, analyzed table under a generic plan, as a client binding parameters gets.
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


/** The generic plan PostgreSQL picks for `query` (with `$n` parameters of `types`) once `setup` and `fix` have run and the tables are analyzed. */
async function genericPlan(setup: string, query: string, types: string[], args: string[], fix?: string): Promise<string> {
  await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET plan_cache_mode = force_generic_plan;");
  await db.exec(setup);
  // One statement at a time: CREATE INDEX CONCURRENTLY refuses to run inside a transaction block.
  for (const statement of fix?.split("\n") ?? []) await db.exec(statement);
  await db.exec("ANALYZE;");
  await db.exec(`PREPARE q(${types.join(", ")}) AS ${query}`);
  try {
    const res = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE q(${args.join(", ")})`);
    return JSON.stringify(res.rows[0]["QUERY PLAN"]);
  } finally {
    await db.exec("DEALLOCATE q; RESET plan_cache_mode;");
  }
}

const param = (column: string, value?: string): ColumnPredicate => ({ column, op: "eq", sentAs: "param", ...(value ? { value } : {}) });
const desc = (column: string): OrderTerm => ({ column, descending: true, nullsFirst: null });
const asc = (column: string): OrderTerm => ({ column, descending: false, nullsFirst: null });
const q = (table: string, predicates: ColumnPredicate[], extra: Partial<AccessPattern> = {}) => pattern(table, predicates, { source: "prisma", ...extra });

describe("a column with few values narrows nothing", () => {
  const ENVELOPES = `CREATE TYPE envelope_type AS ENUM ('DOCUMENT', 'TEMPLATE');
CREATE TABLE envelopes (
  id bigint PRIMARY KEY, type envelope_type NOT NULL, external_ref text, deleted_at timestamptz, created_at timestamptz NOT NULL
);
CREATE INDEX envelopes_type_idx ON envelopes (type);
`;
  const ROWS = `INSERT INTO envelopes SELECT g, (CASE WHEN g % 2 = 0 THEN 'DOCUMENT' ELSE 'TEMPLATE' END)::envelope_type, 'qr' || g, NULL, now() FROM generate_series(1, 20000) g;`;

  it("an index on a two-label enum does not find the rows by it: the fix keys the selective column, and the planner then uses it", async () => {
    const lookup = q("envelopes", [param("type", "'DOCUMENT'"), param("external_ref")], { limited: true });
    const findings = ruleOn(ENVELOPES, [lookup]);
    expect(findings.map((f) => f.fix?.sql)).toEqual(["CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_envelopes_external_ref ON envelopes (external_ref);"]);
    expect(findings[0].message).toContain("envelopes_type_idx searches by type alone, which has few distinct values, so it does not narrow the scan");
    expect(findings[0].message).not.toContain("finds the rows by type");
    const query = "SELECT * FROM envelopes WHERE type = $1 AND external_ref = $2 LIMIT 1";
    // Half the table has each type: the generic plan reads half the table through envelopes_type_idx and filters it...
    const before = await genericPlan(ENVELOPES + ROWS, query, ["envelope_type", "text"], ["'DOCUMENT'", "'qr2'"]);
    expect(before).toMatch(/"Index Name":"envelopes_type_idx"[^}]*"Plan Rows":10000/);
    // ...and with the fix it finds the row by external_ref.
    const after = await genericPlan(ENVELOPES + ROWS, query, ["envelope_type", "text"], ["'DOCUMENT'", "'qr2'"], findings[0].fix!.sql);
    expect(after).toMatch(/"Index Name":"idx_envelopes_external_ref".*"Index Cond":"\(external_ref = \$2\)"/);
  });

  it("no index is keyed only by a boolean, a two-label enum, or a soft-delete column's IS NULL", () => {
    const FIELDS = `${ENVELOPES}CREATE TABLE fields (id bigint PRIMARY KEY, inserted boolean NOT NULL, envelope_id bigint NOT NULL);`;
    expect(ruleOn(FIELDS, [q("fields", [{ column: "inserted", op: "eq", value: "true", sentAs: "param" }])])).toEqual([]);
    expect(ruleOn(FIELDS, [q("envelopes", [{ column: "deleted_at", op: "is-null", sentAs: "literal" }, param("type", "'DOCUMENT'")], { limited: true })])).toEqual([]);
  });

  it("an enum with more labels is keyed as usual", () => {
    const wide = ENVELOPES.replace("('DOCUMENT', 'TEMPLATE')", "('DOCUMENT', 'TEMPLATE', 'FORM', 'LETTER', 'NOTE')");
    const findings = ruleOn(wide, [q("envelopes", [param("type", "'DOCUMENT'"), param("external_ref")], { limited: true })]);
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining("envelopes_type_idx finds the rows by type only")]);
  });
});

describe("a column another key column fixes through a foreign key", () => {
  const LEDGER = `CREATE TABLE teams (id bigint PRIMARY KEY);
CREATE TABLE bank_accounts (id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id));
CREATE INDEX bank_accounts_team_id_idx ON bank_accounts (team_id);
CREATE TABLE transactions (
  id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id), bank_account_id bigint REFERENCES bank_accounts (id),
  status text NOT NULL, date date NOT NULL
);
CREATE INDEX transactions_team_id_idx ON transactions (team_id);
CREATE INDEX transactions_bank_account_id_idx ON transactions (bank_account_id);
`;

  it("team_id beside bank_account_id adds nothing: the bank account's index already narrows to one account, which the planner uses", async () => {
    const byAccount = q("transactions", [param("bank_account_id"), param("team_id")]);
    expect(ruleOn(LEDGER, [byAccount])).toEqual([]);
    const rows = `INSERT INTO teams SELECT g FROM generate_series(1, 50) g;
INSERT INTO bank_accounts SELECT g, g % 50 + 1 FROM generate_series(1, 500) g;
INSERT INTO transactions SELECT g, (g % 500) % 50 + 1, g % 500 + 1, 'posted', date '2025-01-01' + g % 365 FROM generate_series(1, 50000) g;`;
    const plan = await genericPlan(LEDGER + rows, "SELECT * FROM transactions WHERE bank_account_id = $1 AND team_id = $2", ["bigint", "bigint"], ["7", "8"]);
    expect(plan).toContain('"Index Name":"transactions_bank_account_id_idx"');
  });

  it("with no index, the fix keys bank_account_id alone, and extending the account's index by a status is NOTED without growth evidence", () => {
    const bare = LEDGER.replace(/CREATE INDEX transactions_\w+ ON transactions \(\w+\);\n/g, "");
    expect(ruleOn(bare, [q("transactions", [param("bank_account_id"), param("team_id")])]).map((f) => f.columns)).toEqual([["bank_account_id"]]);
    const byStatus = ruleOn(LEDGER, [q("transactions", [param("bank_account_id"), param("team_id"), param("status")])]);
    expect(byStatus.map((f) => [f.severity, f.columns])).toEqual([["noted", ["bank_account_id", "status"]]]);
  });
});

describe("an ORDER BY ... LIMIT that cannot stop early", () => {
  const DOCS = `CREATE TABLE documents (
  id bigint PRIMARY KEY, team_id bigint NOT NULL, title text NOT NULL, created_at timestamptz NOT NULL
);
CREATE INDEX documents_created_at_idx ON documents (created_at);
`;
  const page = (extra: Partial<AccessPattern> = {}) => q("documents", [param("team_id")], { orderBy: [desc("created_at")], limited: true, functionName: "findDocuments", ...extra });

  it("an unlimited read of the same filter in the same function reads every match: the fix keys the filter only, and says why", () => {
    const all = q("documents", [param("team_id")], { functionName: "findDocuments" });
    const findings = ruleOn(DOCS, [page(), all]);
    expect(findings.map((f) => f.columns)).toEqual([["team_id"]]);
    expect(findings[0].details).toContain("its ORDER BY is left out: the same function also reads every row of this filter");
    // Without that read, the order is kept, so the LIMIT stops the scan early.
    expect(ruleOn(DOCS, [page()]).map((f) => f.columns)).toEqual([["team_id", "created_at"]]);
  });

  it("a count of rows the code does not pick by a key of its own reads them all anyway: the ORDER BY is left out", () => {
    const fixed: ColumnPredicate = { column: "title", op: "eq", sentAs: "literal", value: "'draft'" };
    const listing = q("documents", [fixed], { orderBy: [desc("created_at")], limited: true, functionName: "findDrafts" });
    const count = q("documents", [fixed], { limited: true, countsAll: true, functionName: "findDrafts" });
    const findings = ruleOn(DOCS, [listing, count]);
    expect(findings.map((f) => f.columns)).toEqual([["title"]]);
    expect(findings[0].details).toContain("its ORDER BY is left out: the same function also counts every row of this filter");
  });

  // The code appends to the table and never updates it: one key's history keeps growing.
  const appended = q("documents", [], { kind: "insert", functionName: "logDocument" });

  it("a count of one key's rows in a small per-key list still leaves the ORDER BY out: nothing shows the key's rows growing", () => {
    const count = q("documents", [param("team_id")], { limited: true, countsAll: true, functionName: "findDocuments" });
    const findings = ruleOn(DOCS, [page(), count]);
    expect(findings.map((f) => f.columns)).toEqual([["team_id"]]);
    expect(findings[0].details).toContain("its ORDER BY is left out: the same function also counts every row of this filter");
  });

  it("in a growing history a count beside the page keeps the ORDER BY: the count reads the key's leading column, the page stops after its rows", async () => {
    const count = q("documents", [param("team_id")], { limited: true, countsAll: true, functionName: "findDocuments" });
    const findings = ruleOn(DOCS, [page(), count, appended]);
    expect(findings.map((f) => f.columns)).toEqual([["team_id", "created_at"]]);
    const rows = "INSERT INTO documents SELECT g, g % 10, 't' || g, now() - g * interval '1 minute' FROM generate_series(1, 50000) g;";
    const plan = await genericPlan(DOCS + rows, "SELECT * FROM documents WHERE team_id = $1 ORDER BY created_at DESC LIMIT 10", ["bigint"], ["3"], findings[0].fix!.sql);
    expect(plan).toContain('"Index Name":"idx_documents_team_id_created_at"');
    expect(plan).not.toContain('"Node Type":"Sort"');
    const counted = await genericPlan(DOCS + rows, "SELECT count(*) FROM documents WHERE team_id = $1", ["bigint"], ["3"], findings[0].fix!.sql);
    expect(counted).toContain("idx_documents_team_id_created_at");
  });

  it("a filter on an optional value is left out of the key: equality columns always sent, then the ORDER BY", () => {
    const KINDS = DOCS + "CREATE TYPE doc_kind AS ENUM ('a', 'b', 'c', 'd');\nALTER TABLE documents ADD COLUMN kind doc_kind;\n";
    const optional: ColumnPredicate = { ...param("kind"), conditional: true };
    const findings = ruleOn(KINDS, [page({ predicates: [param("team_id"), optional] }), q("documents", [param("team_id"), optional], { limited: true, countsAll: true, functionName: "findDocuments" }), appended]);
    expect(findings.map((f) => f.columns)).toEqual([["team_id", "created_at"]]);
    expect(findings[0].details).toContain("kind is optional");
    expect(findings[0].details).toContain("checks it on the fetched rows");
  });

  it("an OR the extractor could not split is a filter all the same: named in the call site, and no order-based key", () => {
    const findings = ruleOn(DOCS, [page({ hasOr: true })]);
    expect(findings.map((f) => f.columns)).toEqual([["team_id"]]);
    expect(findings[0].details).toContain("team_id = $n AND an OR filter");
    expect(findings[0].details).not.toContain("no filter");
  });

  it("LIKE '%x%' matches an unknown share of rows: no btree is advised for the ORDER BY, and the planner shows why", async () => {
    const search = q("documents", [{ column: "title", op: "like", caseInsensitive: true, sentAs: "param" }], { orderBy: [desc("created_at")], limited: true });
    expect(ruleOn(DOCS, [search]).filter((f) => f.fix && !/USING gin/.test(f.fix.sql))).toEqual([]);
    // Reading documents_created_at_idx backwards, the scan stops only after ten matches: for a rare title, every row.
    const rows = "INSERT INTO documents SELECT g, g % 10, 'doc ' || g, now() - g * interval '1 minute' FROM generate_series(1, 20000) g;";
    const plan = await genericPlan(DOCS + rows, "SELECT * FROM documents WHERE title ILIKE $1 ORDER BY created_at DESC LIMIT 10", ["text"], ["'%zzz%'"]);
    expect(plan).toMatch(/"Index Name":"documents_created_at_idx".*"Filter":"\(title ~~\* \$1\)"/);
  });
});

describe("a key's rows grow without bound only on evidence", () => {
  const TEMPLATES = `CREATE TABLE invoice_templates (id bigint PRIMARY KEY, team_id bigint NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX invoice_templates_team_id_idx ON invoice_templates (team_id);
`;
  it("a team's first template by time is NOTED; so is its latest N, until something shows a team holding many", () => {
    const first = q("invoice_templates", [param("team_id")], { orderBy: [asc("created_at")], limited: true });
    const latest = q("invoice_templates", [param("team_id")], { orderBy: [desc("created_at")], limited: true });
    expect(ruleOn(TEMPLATES, [first]).map((f) => f.severity)).toEqual(["noted"]);
    // The index on team_id finds a team's templates; sorting a handful costs nothing.
    const [latestOnly] = ruleOn(TEMPLATES, [latest]);
    expect(latestOnly.severity).toBe("noted");
    expect(latestOnly.message).not.toContain("grows without bound");
    expect(latestOnly.details).toContain("the index already finds one key's rows, and nothing shows one key holding many");
    // A size hint, or code that only ever adds rows (an append-only history), says a team's rows keep growing.
    expect(ruleOn(TEMPLATES, [latest], { tables: { invoice_templates: { rows: 500_000 } } }).map((f) => f.severity)).toEqual(["routine"]);
    const added = q("invoice_templates", [], { kind: "insert" });
    const [history] = ruleOn(TEMPLATES, [latest, added]);
    expect(history.severity).toBe("routine");
    expect(history.message).toContain("never updates its rows: an append-only history");
    // Code that also edits the rows is no history: NOTED again.
    expect(ruleOn(TEMPLATES, [latest, added, q("invoice_templates", [param("id")], { kind: "update" })]).map((f) => f.severity)).toEqual(["noted"]);
    // The most used first, then the latest: a ranking, not a history.
    const popular = q("invoice_templates", [param("team_id")], { orderBy: [{ column: "id", descending: true, nullsFirst: null }, desc("created_at")], limited: true });
    expect(ruleOn(TEMPLATES, [popular]).map((f) => f.severity)).toEqual(["noted"]);
  });

  it("a time window counts only when the recommended index keys that time column", () => {
    // (team_id, name) serves the two lookups by name and, by team_id, the window too: the window on
    // created_at is not what it bounds, so it is no evidence for this index.
    const byName = [1, 2].map(() => q("invoice_templates", [param("team_id"), param("name")], { kind: "update" }));
    const window = [
      { column: "created_at", op: "range", operator: ">=", sentAs: "param" },
      { column: "created_at", op: "range", operator: "<", sentAs: "param" },
    ] as ColumnPredicate[];
    const recent = q("invoice_templates", [param("team_id"), ...window]);
    expect(ruleOn(TEMPLATES, [...byName, recent]).map((f) => [f.severity, f.columns])).toEqual([["noted", ["team_id", "name"]]]);
    // The window alone gets (team_id, created_at), which it does bound; but the index on team_id already
    // finds a team's templates, and checking the window on a handful is cheap: NOTED, and the fix keeps
    // the index that works today rather than dropping it.
    const [windowOnly] = ruleOn(TEMPLATES, [recent]);
    expect([windowOnly.severity, windowOnly.columns]).toEqual(["noted", ["team_id", "created_at"]]);
    expect(windowOnly.fix?.sql).not.toContain("DROP INDEX");
    // With an event history's shape (a table of page views the code only ever adds to), ROUTINE.
    const VIEWS = TEMPLATES.replace(/invoice_templates/g, "page_views");
    const viewed = q("page_views", [param("team_id"), ...window]);
    const logged = q("page_views", [], { kind: "insert" });
    const edited = q("page_views", [param("id")], { kind: "update" });
    const [views] = ruleOn(VIEWS, [viewed, logged, edited]);
    expect([views.severity, views.columns]).toEqual(["routine", ["team_id", "created_at"]]);
    expect(views.message).toContain("page_views is named for events or runs, one row per occurrence");
    expect(views.fix?.sql).toContain("DROP INDEX CONCURRENTLY IF EXISTS page_views_team_id_idx");
  });
});

describe("Prisma's to-one relation filter narrows by the foreign key", () => {
  it("`recipient: { token }` is an IN on recipient_id: the index on it serves the query, and nothing is keyed by the boolean beside it", async () => {
    const FIELDS = `CREATE TABLE recipients (id bigint PRIMARY KEY, token text NOT NULL);
CREATE TABLE fields (id bigint PRIMARY KEY, recipient_id bigint NOT NULL REFERENCES recipients (id), inserted boolean NOT NULL);
CREATE INDEX fields_recipient_id_idx ON fields (recipient_id);
`;
    // As the Prisma recognizer reads `where: { recipient: { token }, inserted: true }` once names are resolved.
    const p = q("fields", [{ column: "inserted", op: "eq", value: "true", sentAs: "param" }, { column: "recipient_id", op: "in", sentAs: "param" }]);
    expect(ruleOn(FIELDS, [p])).toEqual([]);
    const rows = `INSERT INTO recipients SELECT g, 't' || g FROM generate_series(1, 2000) g;
INSERT INTO fields SELECT g, g % 2000 + 1, g % 2 = 0 FROM generate_series(1, 40000) g;`;
    // What Prisma sends: the planner finds the fields through fields_recipient_id_idx.
    const plan = await genericPlan(
      FIELDS + rows,
      `SELECT * FROM fields WHERE inserted = $1 AND recipient_id IN (SELECT id FROM recipients WHERE token = $2)`,
      ["boolean", "text"],
      ["true", "'t5'"],
    );
    expect(plan).toContain('"Index Name":"fields_recipient_id_idx"');
  });
});

describe("a unique key that finds the row serves the query whole, whichever index ranks first", () => {
  const CONVERSATIONS = `CREATE TABLE conversations (
  id text NOT NULL, project_id text NOT NULL, user_id text NOT NULL, deleted_at timestamptz, updated_at timestamptz NOT NULL,
  PRIMARY KEY (id, project_id)
);
CREATE INDEX conversations_list_idx ON conversations (project_id, user_id, deleted_at, updated_at, id);
`;
  it("a composite primary key on (id, project_id) pins the row: no advice, and the planner reads the primary key", async () => {
    const owned = q("conversations", [param("id"), param("project_id"), param("user_id"), { column: "deleted_at", op: "is-null", sentAs: "literal" }], { kind: "update" });
    expect(ruleOn(CONVERSATIONS, [owned])).toEqual([]);
    const rows = "INSERT INTO conversations SELECT 'c' || g, 'p' || (g % 20), 'u' || (g % 200), NULL, now() FROM generate_series(1, 20000) g;";
    const plan = await genericPlan(CONVERSATIONS + rows, "SELECT * FROM conversations WHERE id = $1 AND project_id = $2 AND user_id = $3 AND deleted_at IS NULL", ["text", "text", "text"], ["'c5'", "'p5'", "'u5'"]);
    expect(plan).toContain('"Index Name":"conversations_pkey"');
  });
});

describe("the message says which call sites an index already serves in part", () => {
  it("one index for queries partly served and queries not served at all: neither 'no index serves them' nor silence about the existing index", () => {
    const RUNS = `CREATE TABLE runs (id bigint PRIMARY KEY, project_id bigint NOT NULL, conversation_id bigint NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX runs_project_conversation_created_idx ON runs (project_id, conversation_id, created_at);
`;
    const perConversation = q("runs", [param("project_id"), param("conversation_id"), param("status")], { kind: "update" });
    const sweep = q("runs", [param("status")], { kind: "update" });
    const messages = ruleOn(RUNS, [perConversation, sweep]).map((f) => f.message);
    expect(messages).toEqual([expect.stringContaining("runs_project_conversation_created_idx serves 1 of them only in part and no index serves the other 1")]);
  });
});
