import { beforeAll, describe, expect, it } from "vitest";
import { textReader } from "../../src/audit.js";
import type { AccessPattern } from "../../src/core/types.js";
import { extractPatterns, resolveEmbeds } from "../../src/queries/extract.js";
import { extractFromSqlFile, normaliseParameters } from "../../src/queries/sql-file.js";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { fsSource } from "../../src/source/fs-source.js";
import { initParser } from "../../src/sql/parser.js";
import { config, predicatesOf, schemaOf, setOf, statementsOf } from "./helpers.js";

beforeAll(() => initParser());

const root = "test/fixtures/code/app";

async function run(overrides = {}) {
  const source = fsSource(root);
  const files = (await source.list()).map((f) => f.path);
  const schema = schemaOf("CREATE TABLE users (id uuid PRIMARY KEY, email text);");
  return extractPatterns(files, textReader(source), config(overrides), [{ set: setOf("db", []), statements: [], schema }]);
}

describe("extractPatterns over a repository", () => {
  it("reports a syntax error and a binary file with file and line, and still reads every other file", async () => {
    const result = await run();
    const messages = result.problems.map((p) => `${p.location.file}:${p.location.line} ${p.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^src\/broken\.ts:5 src\/broken\.ts:5:\d+: syntax error, file skipped/));
    expect(messages).toContainEqual("src/binary.ts:1 src/binary.ts:1: binary file (contains NUL bytes)");
    expect(messages).toContainEqual(expect.stringMatching(/^queries\/pgtyped\.queries\.sql:5 .*cannot parse query/));
    const patterns = result.patternsBySet[0];
    const files = new Set(patterns.map((p) => p.location.file));
    expect([...files].sort()).toEqual([
      "queries/pgtyped.queries.sql",
      "queries/users.sql",
      "src/embeds.tsx",
      "src/loops.ts",
      "src/raw-sql.ts",
      "src/shapes.jsx",
      "src/split-chains.ts",
      "src/supabase-methods.ts",
      "src/uses-constants.ts",
    ]);
    expect(result.codeFiles).toBe(12);
  });

  it("gives each set the patterns on its tables, and a set's own migration queries to that set only", async () => {
    const source = fsSource(root);
    const files = (await source.list()).map((f) => f.path);
    const app = schemaOf("CREATE TABLE users (id uuid PRIMARY KEY, email text); CREATE TABLE invites (id uuid PRIMARY KEY, accepted_at timestamptz);");
    const analytics = schemaOf("CREATE TABLE widget_pageviews (id bigint PRIMARY KEY, organization_id uuid, created_at timestamptz);");
    const cronSql = "SELECT cron.schedule('purge', '0 * * * *', $$DELETE FROM widget_pageviews WHERE created_at < now()$$);";
    const result = await extractPatterns(files, textReader(source), config(), [
      { set: setOf("app", []), statements: [], schema: app },
      { set: setOf("analytics", ["analytics/001.sql"]), statements: statementsOf("analytics/001.sql", cronSql), schema: analytics },
    ]);
    const [appPatterns, analyticsPatterns] = result.patternsBySet;
    expect(new Set(appPatterns.map((p) => p.table))).toEqual(new Set(["users", "invites"]));
    expect(new Set(analyticsPatterns.map((p) => p.table))).toEqual(new Set(["widget_pageviews"]));
    expect(analyticsPatterns.filter((p) => p.source === "cron")).toHaveLength(1);
    expect(appPatterns.filter((p) => p.source === "cron")).toHaveLength(0);
  });
});

describe("supabase-js embeds resolved through the schema's foreign keys", () => {
  const schema = schemaOf(`
    CREATE TABLE agent_profiles (id uuid PRIMARY KEY, display_name text);
    CREATE TABLE sites (id uuid PRIMARY KEY, name text);
    CREATE TABLE call_logs (id uuid PRIMARY KEY, agent_id uuid REFERENCES agent_profiles(id), site_id uuid REFERENCES sites(id), backup_site_id uuid REFERENCES sites(id));
    CREATE TABLE call_notes (id uuid PRIMARY KEY, call_id uuid NOT NULL REFERENCES call_logs(id), body text);
  `);
  const code = (select: string) =>
    extractFromCodeFile("src/p.ts", `export const f = (org: string) => supabase.from("call_logs").select(\`${select}\`).eq("id", org);`).patterns;

  it("many-to-one: the embedded table is read by its referenced key; one-to-many: by the child's FK columns", () => {
    const resolved = resolveEmbeds(code("id, agent:agent_profiles(display_name), notes:call_notes(body)"), schema);
    const main = resolved.find((p) => p.table === "call_logs")!;
    expect(main.joins).toEqual([
      { table: "agent_profiles", columns: ["id"] },
      { table: "call_notes", columns: ["call_id"] },
    ]);
    expect(predicatesOf(resolved.find((p) => p.table === "call_notes"))).toEqual(["call_id eq param"]);
    expect(predicatesOf(resolved.find((p) => p.table === "agent_profiles"))).toEqual(["id eq param"]);
    expect(resolved.every((p) => !("embeddedIn" in p))).toBe(true);
  });

  it("needs a hint when two foreign keys lead to the same table, and never guesses", () => {
    const ambiguous = resolveEmbeds(code("id, sites(name)"), schema);
    expect(ambiguous.map((p) => p.table)).toEqual(["call_logs"]);
    expect(ambiguous[0].joins).toEqual([{ table: "sites", columns: [] }]);
    const hinted = resolveEmbeds(code("id, site:sites!site_id(name), backup:backup_site_id(name)"), schema);
    expect(hinted.map((p) => p.table)).toEqual(["call_logs", "sites", "sites"]);
    expect(hinted[0].joins).toEqual([
      { table: "sites", columns: ["id"] },
      { table: "sites", columns: ["id"] },
    ]);
    expect(predicatesOf(hinted[1])).toEqual(["id eq param"]);
  });
});

describe(".sql query files", () => {
  it("reads sqlc files: one pattern per named query, its parameters in all three spellings", () => {
    const text = [
      "-- name: GetUserByEmail :one",
      "SELECT id, email FROM users",
      "WHERE email = $1 LIMIT 1;",
      "",
      "-- name: ListOrgUsers :many",
      "SELECT * FROM users WHERE organization_id = sqlc.arg(org_id) ORDER BY full_name;",
      "",
      "-- name: TouchUser :exec",
      "UPDATE users SET last_seen_at = now() WHERE id = @user_id AND tags @> '{a}' AND created_at::date = $2;",
    ].join("\n");
    const { patterns, problems } = extractFromSqlFile("queries/users.sql", text);
    expect(problems).toEqual([]);
    expect(patterns.map((p: AccessPattern) => `${p.functionName} ${p.kind} ${p.location.line}`)).toEqual([
      "GetUserByEmail select 2",
      "ListOrgUsers select 6",
      "TouchUser update 9",
    ]);
    expect(patterns.every((p) => p.source === "sql-file")).toBe(true);
    expect(patterns[0].limited).toBe(true);
    expect(predicatesOf(patterns[1])).toEqual(["organization_id eq param"]);
    expect(predicatesOf(patterns[2])).toEqual(["id eq param", "tags contains literal", "(created_at::date) eq param"]);
  });

  it("reads pgtyped files and reports the query that does not parse at its line", () => {
    const text = "/* @name FindInvites */\nSELECT * FROM invites WHERE organization_id = :orgId! AND accepted_at IS NULL;\n\n/* @name Broken */\nSELECT * FROM WHERE;\n";
    const { patterns, problems } = extractFromSqlFile("db/invites.queries.sql", text);
    expect(patterns).toHaveLength(1);
    expect(patterns[0]).toMatchObject({ functionName: "FindInvites", table: "invites", location: { line: 2 } });
    expect(predicatesOf(patterns[0])).toEqual(["organization_id eq param", "accepted_at is-null literal"]);
    expect(problems).toHaveLength(1);
    expect(problems[0].location).toMatchObject({ file: "db/invites.queries.sql", line: 5 });
  });

  it("leaves casts and operators alone when rewriting named parameters", () => {
    expect(normaliseParameters("SELECT a::text FROM t WHERE b @> :x AND c = @y")).toBe("SELECT a::text FROM t WHERE b @> $1 AND c = $2");
  });
});

describe("constants imported from another file", () => {
  it("names tables with exported string constants, `as const` objects and enums of other files", async () => {
    const result = await run();
    const found = result.patternsBySet[0].filter((p) => p.functionName === "importedConstants");
    expect(found.map((p) => p.table)).toEqual(["call_logs", "invites", "agent_sessions", "users"]);
  });
});

describe("unique lookups", () => {
  it("marks a select that pins the primary key or a unique index as limited, per set", async () => {
    const code = [
      'export const byId = (id: string) => supabase.from("users").select("*").eq("id", id);',
      'export const byEmail = (e: string) => supabase.from("users").select("*").eq("email", e);',
      'export const byOrg = (o: string) => supabase.from("users").select("*").eq("organization_id", o);',
      'export const maybeById = (id?: string) => { let q = supabase.from("users").select("*"); if (id) q = q.eq("id", id); return q; };',
    ].join("\n");
    const schema = schemaOf("CREATE TABLE users (id uuid PRIMARY KEY, email text UNIQUE, organization_id uuid);");
    const read = async () => ({ ok: true as const, text: code });
    const result = await extractPatterns(["src/users.ts"], read, config(), [{ set: setOf("db", []), statements: [], schema }]);
    expect(result.patternsBySet[0].map((p) => `${p.functionName} ${p.limited}`)).toEqual([
      "byId true",
      "byEmail true",
      "byOrg false",
      "maybeById false",
    ]);
  });
});
