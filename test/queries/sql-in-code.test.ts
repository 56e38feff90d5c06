import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { initParser } from "../../src/sql/parser.js";
import { byFunction, predicatesOf } from "./helpers.js";

beforeAll(() => initParser());

function patterns() {
  const result = extractFromCodeFile("src/raw-sql.ts", readFileSync("test/fixtures/code/app/src/raw-sql.ts", "utf8"));
  expect(result.problems).toEqual([]);
  return result.patterns;
}

describe("SQL strings in code", () => {
  it("reads pool.query with a SQL constant; an expression on a column keeps its text", () => {
    const [p] = byFunction(patterns(), "findUser");
    expect(p).toMatchObject({ table: "users", kind: "select", source: "sql-in-code", limited: false });
    expect(predicatesOf(p)).toEqual(["(lower(email)) eq param"]);
    expect(p.location.line).toBe(14);
  });

  it("resolves aliases and joins: ANY, BETWEEN, IS NOT NULL, NOT column, ORDER BY ... NULLS LAST, LIMIT", () => {
    const found = byFunction(patterns(), "callsWithAgents");
    const calls = found.find((p) => p.table === "call_logs")!;
    const agents = found.find((p) => p.table === "agent_profiles")!;
    expect(predicatesOf(calls)).toEqual([
      "organization_id eq param",
      "status in param",
      "created_at range>= param",
      "created_at range<= param",
      "ended_at is-not-null literal",
      "archived bool false literal",
    ]);
    expect(calls.orderBy).toEqual([{ column: "created_at", descending: true, nullsFirst: false }]);
    expect(calls.limited).toBe(true);
    expect(calls.joins).toEqual([{ table: "agent_profiles", columns: ["id"] }]);
    // The joined (inner) side is probed by its join column once per outer row.
    expect(agents.joins).toEqual([{ table: "call_logs", columns: ["agent_id"] }]);
    expect(predicatesOf(agents)).toEqual(["active bool true literal", "id eq param"]);
  });

  it("reads { text } query configs: LIKE prefix, IN list of literals, >, <>, @>", () => {
    const [p] = byFunction(patterns(), "searchSites");
    expect(predicatesOf(p)).toEqual([
      "organization_id eq param",
      "domain like-prefix 'shop.%' literal",
      "plan in literal",
      "visits range> 10 literal",
      "kind neq literal",
      "tags contains param",
    ]);
  });

  it("turns template interpolations into parameters", () => {
    const [p] = byFunction(patterns(), "recentPageviews");
    expect(p.table).toBe("widget_pageviews");
    expect(predicatesOf(p)).toEqual(["organization_id eq param", "created_at range> param"]);
  });

  it("reads postgres.js sql`` and Prisma $queryRaw`` tagged templates", () => {
    const [sessions] = byFunction(patterns(), "sessionsPostgres");
    expect(predicatesOf(sessions)).toEqual(["agent_id eq param", "ended_at is-null literal"]);
    expect(sessions.orderBy).toEqual([{ column: "started_at", descending: false, nullsFirst: null }]);
    const [users] = byFunction(patterns(), "prismaRaw");
    expect(predicatesOf(users)).toEqual(["email eq param"]);
    expect(users.limited).toBe(true);
  });

  it("reads knex.raw with ? bindings", () => {
    const [p] = byFunction(patterns(), "knexRaw");
    expect(p.table).toBe("dispositions");
    expect(predicatesOf(p)).toEqual(["organization_id eq param", "archived bool false literal"]);
  });

  it("reads INSERT ... ON CONFLICT as an upsert looked up by its conflict columns, and UPDATE / DELETE", () => {
    const all = patterns();
    expect(byFunction(all, "upsertStatus")[0]).toMatchObject({ table: "agent_status", kind: "upsert" });
    expect(predicatesOf(byFunction(all, "upsertStatus")[0])).toEqual(["agent_id eq param"]);
    const [update, del] = byFunction(all, "closeSessions");
    expect(update).toMatchObject({ table: "agent_sessions", kind: "update" });
    expect(predicatesOf(update)).toEqual(["id in param", "ended_at is-null literal"]);
    expect(del).toMatchObject({ table: "agent_status_changes", kind: "delete" });
    expect(predicatesOf(del)).toEqual(["changed_at range< param"]);
  });

  it("ignores .query() calls whose argument is not SQL", () => {
    expect(byFunction(patterns(), "notSql")).toEqual([]);
  });
});
