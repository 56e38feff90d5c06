// The matcher on hand-picked cases, over schemas built by the real replay of real DDL.
import { beforeAll, describe, expect, it } from "vitest";
import { matchIndex, matchPattern } from "../../src/advisor/match.js";
import type { AccessPattern, ColumnPredicate, OrderTerm } from "../../src/core/types.js";
import { initParser } from "../../src/sql/parser.js";
import { eq, isNull, pattern, range, tableFrom } from "./support/schema.js";

beforeAll(async () => {
  await initParser();
});

const USERS = `
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL,
  email text NOT NULL,
  name text,
  status text,
  active boolean,
  score int,
  created_at timestamptz,
  deleted_at timestamptz
);
`;

function verdictOf(indexSql: string, predicates: ColumnPredicate[], extra: Partial<AccessPattern> = {}) {
  const table = tableFrom(USERS + indexSql, "users");
  const index = table.indexes.find((i) => i.constraint === null)!;
  return matchIndex(table, index, pattern("users", predicates, extra));
}

const order = (column: string, descending = false, nullsFirst: boolean | null = null): OrderTerm => ({ column, descending, nullsFirst });

describe("btree leading-column rules", () => {
  it("serves an equality prefix then one range column; later columns only filter", () => {
    const m = verdictOf("CREATE INDEX ix ON users (org_id, status, created_at);", [eq("org_id", "1"), range("created_at", ">", "'2024-01-01'")]);
    expect(m.verdict).toBe("served");
    expect(m.boundKeys).toEqual(["org_id"]);
    expect(m.filterKeys).toEqual(["created_at"]);
    const full = verdictOf("CREATE INDEX ix ON users (org_id, status, created_at);", [eq("org_id", "1"), eq("status", "'a'"), range("created_at", ">", "$3")]);
    expect(full.boundKeys).toEqual(["org_id", "status", "created_at"]);
  });

  it("between an index bound by equality and one bound by a range, picks the equality one, whichever was created first", () => {
    for (const order of [["users_created_at", "users_org_id"], ["users_org_id", "users_created_at"]]) {
      const ddl = { users_created_at: "CREATE INDEX users_created_at ON users (created_at);", users_org_id: "CREATE INDEX users_org_id ON users (org_id);" } as const;
      const table = tableFrom(USERS + order.map((n) => ddl[n as keyof typeof ddl]).join("\n"), "users");
      const m = matchPattern(table, pattern("users", [eq("org_id", "$1"), range("created_at", ">=", "$2")]));
      expect(m.best?.index.name, order.join(" then ")).toBe("users_org_id");
    }
  });

  it("calls a query on a non-leading column a skip scan, not served", () => {
    const m = verdictOf("CREATE INDEX ix ON users (org_id, status);", [eq("status", "'a'")]);
    expect(m.verdict).toBe("partial");
    expect(m.access).toBe("skip-scan");
    expect(m.reason).toContain("skip-scan");
  });

  it("treats IN / = ANY and IS NULL as index conditions, <> never", () => {
    expect(verdictOf("CREATE INDEX ix ON users (status);", [{ column: "status", op: "in", sentAs: "param" }]).verdict).toBe("served");
    expect(verdictOf("CREATE INDEX ix ON users (deleted_at);", [isNull("deleted_at")]).verdict).toBe("served");
    expect(verdictOf("CREATE INDEX ix ON users (status);", [{ column: "status", op: "neq", value: "'x'", sentAs: "literal" }]).verdict).toBe("not-served");
  });

  it("reads flag, NOT flag and flag = $1 as tests a boolean key can take", () => {
    expect(verdictOf("CREATE INDEX ix ON users (active);", [{ column: "active", op: "bool", value: "false", sentAs: "literal" }]).verdict).toBe("served");
    expect(verdictOf("CREATE INDEX ix ON users (active);", [{ column: "active", op: "bool", value: "true", sentAs: "param" }]).verdict).toBe("served");
  });

  it("uses LIKE 'prefix%' only with text_pattern_ops or the C collation, and only for a literal pattern", () => {
    const like = (sentAs: "literal" | "param"): ColumnPredicate => ({ column: "name", op: "like-prefix", value: "'ab%'", sentAs });
    expect(verdictOf("CREATE INDEX ix ON users (name);", [like("literal")]).verdict).toBe("not-served");
    expect(verdictOf("CREATE INDEX ix ON users (name text_pattern_ops);", [like("literal")]).verdict).toBe("served");
    expect(verdictOf(`CREATE INDEX ix ON users (name COLLATE "C");`, [like("literal")]).verdict).toBe("served");
    expect(verdictOf("CREATE INDEX ix ON users (name text_pattern_ops);", [like("param")]).verdict).toBe("not-served");
  });
});

describe("ORDER BY ... LIMIT through the index order", () => {
  const ix = "CREATE INDEX ix ON users (org_id, created_at);";
  it("skips columns pinned by equality and scans backward for DESC", () => {
    const m = verdictOf(ix, [], { orderBy: [order("created_at", true)], limited: true });
    expect(m.verdict).toBe("not-served"); // org_id is not pinned, so the index order starts with the wrong column
    const pinned = verdictOf(ix, [eq("org_id", "$1")], { orderBy: [order("created_at", true)], limited: true });
    expect(pinned.orderServed).toBe(true);
    expect(pinned.verdict).toBe("served");
  });

  it("needs its own index for DESC NULLS LAST, which a backward scan of an ASC index cannot give", () => {
    const asc = verdictOf("CREATE INDEX ix ON users (created_at);", [], { orderBy: [order("created_at", true, false)], limited: true });
    expect(asc.orderServed).toBe(false);
    const own = verdictOf("CREATE INDEX ix ON users (created_at DESC NULLS LAST);", [], { orderBy: [order("created_at", true, false)], limited: true });
    expect(own.verdict).toBe("served");
    expect(own.access).toBe("order");
  });

  it("loses the order after an IN on the leading column", () => {
    const m = verdictOf("CREATE INDEX ix ON users (status, created_at);", [{ column: "status", op: "in", sentAs: "param" }], {
      orderBy: [order("created_at")],
      limited: true,
    });
    expect(m.orderServed).toBe(false);
  });
});

describe("expression, constraint and partial indexes", () => {
  it("matches an expression index however the expression is spelled", () => {
    const m = verdictOf("CREATE INDEX ix ON users (lower(email));", [{ expression: "LOWER( email )", op: "eq", value: "$1", sentAs: "param" }]);
    expect(m.verdict).toBe("served");
    expect(verdictOf("CREATE INDEX ix ON users (lower(email));", [eq("email", "$1")]).verdict).toBe("not-served");
  });

  it("counts the primary key and UNIQUE constraints", () => {
    const table = tableFrom(USERS + "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);", "users");
    expect(matchPattern(table, pattern("users", [eq("id", "$1")])).best?.index.name).toBe("users_pkey");
    expect(matchPattern(table, pattern("users", [eq("email", "$1")])).best?.index.name).toBe("users_email_key");
  });

  it("uses a partial index only when the query implies its WHERE", () => {
    const ix = "CREATE INDEX ix ON users (org_id) WHERE status = 'active' AND deleted_at IS NULL;";
    expect(verdictOf(ix, [eq("org_id", "$1"), eq("status", "'active'", "literal"), isNull("deleted_at")]).verdict).toBe("served");
    expect(verdictOf(ix, [eq("org_id", "$1"), isNull("deleted_at")]).verdict).toBe("not-served");
    // Strict operators imply IS NOT NULL, even with a parameter.
    expect(verdictOf("CREATE INDEX ix ON users (org_id) WHERE status IS NOT NULL;", [eq("org_id", "$1"), eq("status", "$2")]).verdict).toBe("served");
    // A wider range, and an equality inside it, are implied.
    expect(verdictOf("CREATE INDEX ix ON users (org_id) WHERE score > 5;", [eq("org_id", "$1"), range("score", ">", "10", "literal")]).verdict).toBe("served");
    expect(verdictOf("CREATE INDEX ix ON users (org_id) WHERE score > 5;", [eq("org_id", "$1"), eq("score", "7", "literal")]).verdict).toBe("served");
    expect(verdictOf("CREATE INDEX ix ON users (org_id) WHERE score > 5;", [eq("org_id", "$1"), range("score", ">", "3", "literal")]).verdict).toBe("not-served");
    // OR: one implied arm is enough.
    expect(verdictOf("CREATE INDEX ix ON users (org_id) WHERE (status = 'a' OR active);", [eq("org_id", "$1"), { column: "active", op: "bool", value: "true", sentAs: "literal" }]).verdict).toBe("served");
  });

  it("names the parameters that keep a partial index out of generic plans", () => {
    const m = verdictOf("CREATE INDEX ix ON users (org_id) WHERE status = 'active';", [eq("org_id", "$1"), eq("status", "'active'", "param")]);
    expect(m.verdict).toBe("not-served");
    expect(m.parameterBlockedColumns).toEqual(["status"]);
    expect(m.reason).toContain("generic");
  });

  it("serves a query whose whole filter is the partial index's WHERE", () => {
    const m = verdictOf("CREATE INDEX ix ON users (created_at) WHERE deleted_at IS NULL;", [isNull("deleted_at")]);
    expect(m.verdict).toBe("served");
    expect(m.access).toBe("predicate");
  });
});
