import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { parseSelectEmbeds, type EmbeddedPattern } from "../../src/queries/supabase.js";
import { initParser } from "../../src/sql/parser.js";
import { byFunction, predicatesOf } from "./helpers.js";

const dir = "test/fixtures/code/app/src";
function extract(file: string): EmbeddedPattern[] {
  const result = extractFromCodeFile(`src/${file}`, readFileSync(`${dir}/${file}`, "utf8"));
  expect(result.problems).toEqual([]);
  return result.patterns;
}

beforeAll(() => initParser());

describe("supabase-js methods", () => {
  const patterns = () => extract("supabase-methods.ts");

  it("reads the example application's reconnect lookup: eq values bound as parameters, IS NULL written as a literal", () => {
    const [p] = byFunction(patterns(), "getCallByReconnectToken");
    expect(p).toMatchObject({ table: "call_logs", kind: "select", limited: true, source: "supabase-js", inLoop: false });
    expect(p.location).toEqual({ file: "src/supabase-methods.ts", line: 7, column: 6 });
    expect(predicatesOf(p)).toEqual([
      "reconnect_token eq param",
      "status eq 'accepted' param",
      "reconnect_eligible bool true param",
      "ended_at is-null literal",
    ]);
  });

  it("maps neq, gt, gte, lt, lte and limit", () => {
    const [p] = byFunction(patterns(), "comparisons");
    expect(predicatesOf(p)).toEqual([
      "status neq param",
      "duration_seconds range> 10 param",
      "created_at range>= param",
      "created_at range< param",
      "answered_at range<= param",
      "organization_id eq param",
    ]);
    expect(p.limited).toBe(true);
  });

  it("maps like, ilike, in, contains, containedBy, overlaps and range", () => {
    const [p] = byFunction(patterns(), "patterns");
    expect(predicatesOf(p)).toEqual([
      "email like param",
      "full_name like param ci",
      "id in param",
      "tags contains param",
      "roles contains param",
      "regions contains param",
    ]);
    expect(p.limited).toBe(true);
  });

  it("maps match, not, filter, or, order and maybeSingle; names an arrow function by its const", () => {
    const [p] = byFunction(patterns(), "matchAndNot");
    expect(predicatesOf(p)).toEqual([
      "organization_id eq param",
      "active bool true param",
      "deleted_at is-not-null literal",
      "kind neq param",
      "domain eq 'example.com' param",
      "archived_at is-null literal",
    ]);
    expect(p.hasOr).toBe(true);
    expect(p.orderBy).toEqual([
      { column: "created_at", descending: true, nullsFirst: true },
      { column: "name", descending: false, nullsFirst: null },
    ]);
    expect(p.limited).toBe(true);
  });

  it("reads update, delete, upsert and insert through this.supabase, with method names", () => {
    const all = patterns();
    expect(byFunction(all, "accept")[0]).toMatchObject({ table: "invites", kind: "update" });
    expect(predicatesOf(byFunction(all, "accept")[0])).toEqual(["id eq param"]);
    expect(byFunction(all, "remove")[0]).toMatchObject({ kind: "delete" });
    expect(predicatesOf(byFunction(all, "remove")[0])).toEqual(["token eq param"]);
    expect(byFunction(all, "save")[0]).toMatchObject({ kind: "upsert" });
    expect(predicatesOf(byFunction(all, "save")[0])).toEqual(["organization_id eq param", "email eq param"]);
    expect(byFunction(all, "add")[0]).toMatchObject({ kind: "insert", predicates: [] });
  });

  it("qualifies the table with .schema() on a createClient() result", () => {
    const [p] = byFunction(patterns(), "otherSchema");
    expect(p.table).toBe("billing.invoices");
    expect(predicatesOf(p)).toEqual(["customer_id eq param"]);
  });
});

describe("chains split across variables and branches", () => {
  const patterns = () => extract("split-chains.ts");

  it("keeps a filter added under an if, marked conditional, and a conditional limit leaves the query unbounded", () => {
    const found = byFunction(patterns(), "listCalls");
    expect(found).toHaveLength(1);
    expect(found[0].table).toBe("call_logs");
    expect(predicatesOf(found[0])).toEqual(["organization_id eq param", "status eq param conditional"]);
    expect(found[0].limited).toBe(false);
  });

  it("emits one pattern per branch when if and else add different filters", () => {
    const found = byFunction(patterns(), "sessionsFor");
    expect(found.map((p) => p.table)).toEqual(["agent_sessions", "agent_sessions"]);
    expect(found.map(predicatesOf)).toEqual([["agent_id eq param"], ["organization_id eq param"]]);
    for (const p of found) expect(p.orderBy).toEqual([{ column: "started_at", descending: true, nullsFirst: null }]);
  });

  it("resolves table names from a string const, an enum member and an `as const` object", () => {
    const all = patterns();
    expect(byFunction(all, "listCalls")[0].table).toBe("call_logs");
    expect(byFunction(all, "sessionsFor")[0].table).toBe("agent_sessions");
    expect(byFunction(all, "pageviews")[0].table).toBe("widget_pageviews");
    expect(predicatesOf(byFunction(all, "pageviews")[0])).toEqual(["organization_id eq param"]);
  });

  it("skips a table or a column named by a variable instead of guessing", () => {
    const found = byFunction(patterns(), "dynamicTable");
    expect(found.map((p) => p.table)).toEqual(["users"]);
    expect(predicatesOf(found[0])).toEqual(["organization_id eq param"]);
  });
});

describe("embedded relations", () => {
  it("parses the select string: aliases, !inner and FK hints, nesting, spreads; aggregates are not relations", () => {
    expect(parseSelectEmbeds("id, agent:agent_profiles(id, name), sites!inner(id), owner:users!calls_owner_id_fkey(name), ...pools(name), count(), amount.sum()")).toEqual([
      { name: "agent_profiles", alias: "agent", inner: false, children: [] },
      { name: "sites", inner: true, children: [] },
      { name: "users", alias: "owner", hint: "calls_owner_id_fkey", inner: false, children: [] },
      { name: "pools", inner: false, children: [] },
    ]);
    expect(parseSelectEmbeds("id, notes:call_notes(body, author:users(full_name))")[0].children).toEqual([
      { name: "users", alias: "author", inner: false, children: [] },
    ]);
  });

  it("turns embeds into joins of the parent and patterns on the embedded tables, with their own filters and order", () => {
    const patterns = extract("embeds.tsx");
    const main = patterns.find((p) => !p.embeddedIn)!;
    expect(main).toMatchObject({ table: "call_logs", functionName: "CallsPage", limited: true });
    expect(main.joins.map((j) => j.table)).toEqual(["agent_profiles", "sites", "call_notes"]);
    expect(predicatesOf(main)).toEqual(["organization_id eq param"]);
    const sites = patterns.find((p) => p.table === "sites")!;
    expect(sites.embeddedIn).toEqual({ table: "call_logs", relation: { name: "call_logs" } });
    expect(predicatesOf(sites)).toEqual(["active bool true param"]);
    const notes = patterns.find((p) => p.table === "call_notes")!;
    expect(notes.orderBy).toEqual([{ column: "created_at", descending: true, nullsFirst: null }]);
    expect(patterns.find((p) => p.table === "users")!.embeddedIn).toEqual({ table: "call_notes", relation: { name: "call_notes" } });
  });
});

describe("code shapes", () => {
  it("reads JSX in a .jsx file, CommonJS exports, clients from createClient(), optional chaining, .then() and Promise.all", () => {
    const patterns = extract("shapes.jsx");
    expect(patterns.map((p) => `${p.functionName} ${p.table} ${predicatesOf(p).join(",")}`)).toEqual([
      "findSite sites id eq param",
      "SitesList sites organization_id eq param",
      "dashboard call_logs organization_id eq param",
      "dashboard widget_pageviews organization_id eq param",
    ]);
    // A head-only count returns no rows; the other dashboard query has its limit.
    expect(patterns.filter((p) => p.functionName === "dashboard").map((p) => p.limited)).toEqual([true, true]);
  });
});
