import { beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern } from "../../src/core/types.js";
import { isPrefixPattern, patternsFromStatement } from "../../src/queries/sql-patterns.js";
import { initParser, parseSql } from "../../src/sql/parser.js";
import { predicatesOf } from "./helpers.js";

beforeAll(() => initParser());

function read(sql: string, variables?: string[]): AccessPattern[] {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.statements.flatMap((s) =>
    patternsFromStatement(s.ast, {
      source: "sql-file",
      location: { file: "q.sql", line: 1, column: 1 },
      variables: variables ? new Set(variables) : undefined,
    }),
  );
}

describe("SQL AST to access patterns", () => {
  it("flips a comparison written value-first", () => {
    expect(predicatesOf(read("SELECT * FROM t WHERE $1 < created_at AND 5 >= n")[0])).toEqual(["created_at range> param", "n range<= 5 literal"]);
  });

  it("treats now() and other column-free expressions as run-time values, not literals", () => {
    const [p] = read("DELETE FROM invites WHERE expires_at < now() - interval '7 days' AND accepted_at IS NULL");
    expect(predicatesOf(p)).toEqual(["expires_at range< param", "accepted_at is-null literal"]);
  });

  it("reads IS TRUE, col = true, IN lists with a parameter, NOT BETWEEN, ILIKE prefix and regex", () => {
    const [p] = read("SELECT 1 FROM t WHERE a IS TRUE AND b = false AND c IN ($1, $2) AND d NOT BETWEEN 1 AND 2 AND e ILIKE 'ab%' AND f ~ '^x' AND g LIKE '%x'");
    expect(predicatesOf(p)).toEqual([
      "a bool-test true literal",
      "b bool false literal",
      "c in param",
      "d other param",
      "e like-prefix 'ab%' literal ci",
      "f like literal",
      "g like '%x' literal",
    ]);
  });

  it("marks an OR it does not split, and keeps the AND terms beside it", () => {
    const [p] = read("SELECT * FROM t WHERE org = $1 AND (a = 1 OR b = 2)");
    expect(p.hasOr).toBe(true);
    expect(predicatesOf(p)).toEqual(["org eq param"]);
  });

  it("does not place unqualified columns when several tables are in scope", () => {
    const found = read("SELECT * FROM a, b WHERE a.id = b.a_id AND status = $1");
    expect(found.map((p) => p.table)).toEqual(["a", "b"]);
    expect(found.flatMap((p) => p.predicates.map((q) => q.column))).not.toContain("status");
    expect(predicatesOf(found[1])).toEqual(["a_id eq param"]);
  });

  it("reads CTEs, UNION branches, subqueries, and correlated references as parameters", () => {
    const found = read(`
      WITH recent AS (SELECT id FROM calls WHERE created_at > $1)
      SELECT * FROM recent r WHERE EXISTS (SELECT 1 FROM notes n WHERE n.call_id = r.id AND n.kind = 'x')
      UNION ALL
      SELECT * FROM archived_calls WHERE id IN (SELECT call_id FROM flags WHERE flagged)`);
    expect(found.map((p) => p.table).sort()).toEqual(["archived_calls", "calls", "flags", "notes"]);
    expect(predicatesOf(found.find((p) => p.table === "notes"))).toEqual(["call_id eq param", "kind eq 'x' literal"]);
    expect(predicatesOf(found.find((p) => p.table === "archived_calls"))).toEqual(["id in param"]);
  });

  it("treats variables (function parameters) as parameters and keeps ORDER BY on expressions", () => {
    const [p] = read("SELECT * FROM users WHERE email = p_email ORDER BY lower(name) DESC LIMIT 5", ["p_email"]);
    expect(predicatesOf(p)).toEqual(["email eq param"]);
    expect(p.orderBy).toEqual([{ expression: "lower(name)", descending: true, nullsFirst: null }]);
  });

  it("reads UPDATE ... FROM and DELETE ... USING joins", () => {
    const found = read("UPDATE calls c SET x = 1 FROM sites s WHERE s.id = c.site_id AND s.org = $1");
    expect(found.map((p) => p.kind)).toEqual(["update", "select"]);
    expect(predicatesOf(found[1])).toEqual(["id eq param", "org eq param"]);
    const del = read("DELETE FROM calls c USING sites s WHERE c.site_id = s.id AND s.deleted");
    expect(del[0].joins).toEqual([{ table: "sites", columns: ["id"] }]);
  });

  it("knows a LIKE prefix pattern from others", () => {
    expect(isPrefixPattern("'abc%'")).toBe(true);
    expect(isPrefixPattern("'a_c%'")).toBe(false);
    expect(isPrefixPattern("'%abc'")).toBe(false);
    expect(isPrefixPattern("'abc'")).toBe(false);
  });
});

describe("ORDER BY items as PostgreSQL reads them", () => {
  const order = (sql: string) => read(sql).map((p) => p.orderBy.map((o) => `${o.column ?? `(${o.expression})`}${o.descending ? " desc" : ""}`));

  it("an output column's name is its expression, even where a table column has that name", () => {
    expect(order("SELECT lower(email) AS email FROM users ORDER BY email")).toEqual([["(lower(email))"]]);
    expect(order('SELECT "signedUpAt" AS joined FROM "User" ORDER BY joined DESC')).toEqual([["signedUpAt desc"]]);
  });

  it("a name inside an expression is a table column: aliases are visible only as a bare name", () => {
    expect(order("SELECT created_at AS day FROM t ORDER BY lower(day)")).toEqual([["(lower(day))"]]);
  });

  it("a position is the output column there; none when a * comes first or the position is out of range", () => {
    expect(order("SELECT id, created_at FROM t ORDER BY 2 DESC")).toEqual([["created_at desc"]]);
    expect(order("SELECT * FROM t ORDER BY 2")).toEqual([[]]);
    expect(order("SELECT id FROM t ORDER BY 3")).toEqual([[]]);
  });

  it("an output name used twice for different expressions names no sort key", () => {
    expect(order("SELECT a AS x, b AS x FROM t ORDER BY x")).toEqual([[]]);
  });

  it("aggregates, window functions, non-immutable functions and CURRENT_TIMESTAMP are no sort key; one such term drops the whole ORDER BY", () => {
    expect(order("SELECT user_id FROM orders GROUP BY user_id ORDER BY count(*) DESC")).toEqual([[]]);
    expect(order("SELECT id FROM t ORDER BY sum(n) OVER (PARTITION BY g), id")).toEqual([[]]);
    expect(order("SELECT id FROM t ORDER BY created_at - now()")).toEqual([[]]);
    expect(order("SELECT id FROM t ORDER BY created_at - CURRENT_TIMESTAMP")).toEqual([[]]);
    expect(order("SELECT id FROM t ORDER BY pg_catalog.random()")).toEqual([[]]);
  });

  it("a filter on a non-immutable expression, a parameter inside an expression or a variable is no predicate", () => {
    expect(predicatesOf(read("SELECT id FROM t WHERE now() - updated_at > interval '1 day' AND a = 1")[0])).toEqual(["a eq 1 literal"]);
    expect(predicatesOf(read("SELECT id FROM t WHERE n + $1 > 10 AND lower(s) = $2")[0])).toEqual(["(lower(s)) eq param"]);
    expect(predicatesOf(read("SELECT id FROM t WHERE n + v_offset > 10", ["v_offset"])[0])).toEqual([]);
  });
});

describe("system columns", () => {
  it("are no predicate, join key or sort key: no index can hold ctid or xmin", () => {
    const patterns = read('DELETE FROM "RateLimit" WHERE ctid IN (SELECT ctid FROM "RateLimit" WHERE "createdAt" < $1 LIMIT 500)');
    expect(patterns.map((p) => [p.kind, ...predicatesOf(p)])).toEqual([["select", "createdAt range< param"], ["delete"]]);
    expect(predicatesOf(read("SELECT id FROM t WHERE xmin::text::bigint > 5 AND a = $1")[0])).toEqual(["a eq param"]);
    expect(read("SELECT id FROM t ORDER BY ctid LIMIT 5")[0].orderBy).toEqual([]);
    const joined = read("SELECT 1 FROM a JOIN b ON b.ctid = a.ctid");
    expect(joined.map((p) => p.predicates)).toEqual([[], []]);
  });
});
