// The recommender: column order, partial WHERE, folding, replacing, naming; its SQL checked by the parser.
import { beforeAll, describe, expect, it } from "vitest";
import { adviseTable } from "../../src/advisor/recommend.js";
import { indexName, quoteIdent } from "../../src/advisor/sql.js";
import { initParser, parseSql } from "../../src/sql/parser.js";
import { eq, isNull, pattern, range, tableFrom } from "./support/schema.js";

beforeAll(async () => {
  await initParser();
});

const SQL = `
CREATE TABLE organizations (id uuid PRIMARY KEY);
CREATE TABLE agents (id uuid PRIMARY KEY);
CREATE TABLE invites (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  agent_id uuid REFERENCES agents(id),
  email text,
  token text,
  kind text,
  accepted_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz
);
`;

function parses(sql: string): boolean {
  return parseSql(sql).ok;
}

describe("one index per key, in the right order", () => {
  it("puts a range column last and literal filters into the WHERE (the example application's invite clean-up)", () => {
    const table = tableFrom(SQL, "invites");
    const cleanup = pattern("invites", [range("expires_at", "<", "now()", "literal"), isNull("accepted_at")], { kind: "delete", source: "cron" });
    const { recommendations } = adviseTable(table, [cleanup]);
    expect(recommendations).toHaveLength(1);
    expect(recommendations[0].sql).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_invites_expires_at ON invites (expires_at) WHERE accepted_at IS NULL;");
    expect(parses(recommendations[0].sql)).toBe(true);
  });

  it("keeps parameterised equalities in the key, never in the WHERE", () => {
    const table = tableFrom(SQL, "invites");
    const p = pattern("invites", [eq("kind", "'team'"), eq("email", "$2")], { limited: true });
    const [rec] = adviseTable(table, [p]).recommendations;
    expect(rec.where).toBeNull();
    // The selective email leads; kind, one of a few kinds, follows it.
    expect(rec.keys.map((k) => k.column)).toEqual(["email", "kind"]);
    expect(rec.reasons.join(" ")).toContain("kind (kind holds one of a few states)");
    expect(rec.reasons.join(" ")).toContain("sent as parameters");
  });

  it("leaves other equalities out when the leading column finds the row by itself", () => {
    const table = tableFrom(SQL, "invites");
    const p = pattern("invites", [eq("token", "$1"), eq("kind", "$2"), isNull("accepted_at")], { limited: true });
    const [rec] = adviseTable(table, [p]).recommendations;
    expect(rec.keys.map((k) => k.column)).toEqual(["token"]);
    expect(rec.where).toBe("accepted_at IS NULL");
    expect(rec.reasons[0]).toContain("token alone finds the row");
  });

  it("serves several queries with one index when their columns line up, a shared column first", () => {
    const table = tableFrom(SQL, "invites");
    const patterns = [
      pattern("invites", [eq("kind", "$1"), eq("email", "$2")]),
      pattern("invites", [eq("email", "$1")]),
      pattern("invites", [eq("email", "$1"), range("created_at", ">", "$2")]),
    ];
    const { recommendations } = adviseTable(table, patterns);
    expect(recommendations).toHaveLength(1);
    expect(recommendations[0].keys[0].column).toBe("email");
    expect(recommendations[0].patterns).toHaveLength(3);
  });

  it("orders for ORDER BY ... LIMIT after the equalities, with the query's direction", () => {
    const table = tableFrom(SQL, "invites");
    const p = pattern("invites", [eq("kind", "$1")], { orderBy: [{ column: "created_at", descending: true, nullsFirst: false }], limited: true });
    const [rec] = adviseTable(table, [p]).recommendations;
    expect(rec.sql).toContain("(kind, created_at DESC NULLS LAST)");
  });

  it("uses text_pattern_ops for a LIKE prefix", () => {
    const table = tableFrom(SQL, "invites");
    const p = pattern("invites", [{ column: "email", op: "like-prefix", value: "'ab%'", sentAs: "literal" }]);
    const [rec] = adviseTable(table, [p]).recommendations;
    expect(rec.sql).toContain("(email text_pattern_ops)");
  });
});

describe("against what exists", () => {
  it("recommends replacing an existing index that is a prefix of the new one", () => {
    const table = tableFrom(SQL + "CREATE INDEX idx_invites_kind ON invites (kind);", "invites");
    // The existing index delivers only the first ORDER BY column: a full scan, then a sort.
    const p = pattern("invites", [], {
      orderBy: [
        { column: "kind", descending: false, nullsFirst: null },
        { column: "created_at", descending: false, nullsFirst: null },
      ],
      limited: true,
    });
    const [rec] = adviseTable(table, [p]).recommendations;
    expect(rec.replaces.map((r) => r.name)).toEqual(["idx_invites_kind"]);
    expect(rec.sql).toContain("DROP INDEX CONCURRENTLY IF EXISTS idx_invites_kind;");
    expect(parses(rec.sql)).toBe(true);
  });

  it("never recommends an index for a query an existing index serves", () => {
    const table = tableFrom(SQL + "CREATE INDEX ix ON invites (kind, email);", "invites");
    expect(adviseTable(table, [pattern("invites", [eq("kind", "$1")])]).recommendations).toEqual([]);
  });

  it("folds an uncovered foreign key into a query's index by leading with its column", () => {
    const table = tableFrom(SQL, "invites");
    const fk = table.foreignKeys.find((f) => f.columns[0] === "agent_id")!;
    const p = pattern("invites", [eq("kind", "$1"), eq("agent_id", "$2")]);
    const { recommendations } = adviseTable(table, [p], { uncoveredForeignKeys: [fk] });
    expect(recommendations[0].keys.map((k) => k.column)).toEqual(["agent_id", "kind"]);
    expect(recommendations[0].foreignKeys).toEqual([fk]);
  });

  it("ranks equality columns by the size of the tables their foreign keys point at", () => {
    const table = tableFrom(SQL, "invites");
    const p = pattern("invites", [eq("organization_id", "$1"), eq("agent_id", "$2")]);
    const rows = (_: string, t: string) => ({ organizations: 1_000, agents: 50_000 })[t];
    const [rec] = adviseTable(table, [p], { rowsOf: rows }).recommendations;
    expect(rec.keys.map((k) => k.column)).toEqual(["agent_id", "organization_id"]);
  });
});

describe("names and quoting", () => {
  it("quotes only identifiers that need it", () => {
    expect(quoteIdent("created_at")).toBe("created_at");
    expect(quoteIdent("order")).toBe('"order"');
    expect(quoteIdent("userId")).toBe('"userId"');
    const table = tableFrom(`CREATE TABLE "Visit" (id int PRIMARY KEY, "userId" int, "order" int);`, '"Visit"');
    const [rec] = adviseTable(table, [pattern('"Visit"', [eq("userId", "$1"), eq("order", "$2")])]).recommendations;
    expect(rec.sql).toBe('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_visit_userid_order ON "Visit" ("userId", "order");');
    expect(parses(rec.sql)).toBe(true);
  });

  it("keeps names within 63 bytes and unique", () => {
    const long = indexName("a_table_with_a_rather_long_name", ["first_long_column_name", "second_long_column_name"], new Set());
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    const again = indexName("a_table_with_a_rather_long_name", ["first_long_column_name", "second_long_column_name"], new Set([long]));
    expect(again).not.toBe(long);
    expect(Buffer.byteLength(again)).toBeLessThanOrEqual(63);
  });
});
