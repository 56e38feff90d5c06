// Interpolations in SQL templates: a value is a bound parameter; SQL spliced where a clause, a column
// or a sort key goes leaves the statement unknown, and the audit says nothing about it.
import { beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern } from "../../../src/core/types.js";
import { extractFromCodeFile } from "../../../src/queries/code-file.js";
import { queryIndex } from "../../../src/rules/query-index.js";
import { initParser } from "../../../src/sql/parser.js";
import { config, predicatesOf, schemaOf, setOf } from "../helpers.js";

beforeAll(() => initParser());

const SCHEMA = `
  CREATE TABLE jobs (id bigint PRIMARY KEY, org_id bigint NOT NULL, status text NOT NULL, batch_id int NOT NULL, created_at timestamptz NOT NULL);
`;

function patterns(body: string): AccessPattern[] {
  const code = `import { sql } from "./db";\nimport { pool } from "./pool";\nexport async function load(org: number, cond: string, column: string, n: number) {\n${body}\n}\n`;
  const result = extractFromCodeFile("src/jobs.ts", code);
  expect(result.problems).toEqual([]);
  return result.patterns;
}

function advice(body: string): string[] {
  const found = queryIndex.check({ set: setOf("db", []), statements: [], schema: schemaOf(SCHEMA), patterns: patterns(body), problems: [], config: config() });
  // The index key as the fix writes it: `jobs (status)`.
  return found.map((f) => `${f.location.line} ${/ON\s+(\S+\s*\([^)]*\))/.exec(f.fix?.sql ?? "")?.[1] ?? "no fix"}`);
}

describe("SQL fragments interpolated into templates", () => {
  it.each([
    ["a whole WHERE pasted into pool.query", "await pool.query(`SELECT id FROM jobs WHERE ${cond}`);"],
    ["a condition pasted beside a visible one", "await pool.query(`SELECT id FROM jobs WHERE status = $1 AND ${cond}`, ['open']);"],
    ["a column pasted into a comparison", "await pool.query(`SELECT id FROM jobs WHERE ${column} = $1`, [org]);"],
    ["a sort key pasted into ORDER BY", "await pool.query(`SELECT id FROM jobs WHERE status = $1 ORDER BY ${column} LIMIT 10`, ['open']);"],
    ["sql.raw inside a sql template", "await sql`SELECT id FROM jobs WHERE status = ${n} ${sql.raw('AND org_id = 1')}`;"],
    ["a nested sql fragment", "await sql`SELECT id FROM jobs WHERE status = ${n} AND ${sql`org_id = ${org}`}`;"],
    ["a helper call standing for an identifier", "await sql`SELECT id FROM jobs WHERE status = ${n} ORDER BY ${sql(column)}`;"],
    ["text pasted into a quoted pattern", "await pool.query(`SELECT id FROM jobs WHERE status LIKE '%${cond}%'`);"],
  ])("%s: no pattern, no advice", (_name, body) => {
    expect(patterns(body)).toEqual([]);
    expect(advice(body)).toEqual([]);
  });

  it("advises on a query whose interpolations are all values", () => {
    const body = "await pool.query(`SELECT id FROM jobs WHERE status = '${cond}'`);";
    expect(predicatesOf(patterns(body)[0])).toEqual(["status eq param"]);
    expect(advice(body)).toEqual(["4 jobs (status)"]);
  });
});

describe("values interpolated into a sql tagged template", () => {
  it("are bound parameters", () => {
    const [p] = patterns("await sql`SELECT id FROM jobs WHERE org_id = ${org} AND created_at >= ${n}`;");
    expect(predicatesOf(p)).toEqual(["org_id eq param", "created_at range>= param"]);
  });

  it("never appear in a recommended index expression", () => {
    const body = "await sql`SELECT id FROM jobs WHERE org_id = ${org} AND batch_id % ${n} = 0`;";
    expect(predicatesOf(patterns(body)[0])).toEqual(["org_id eq param"]);
    const found = advice(body);
    expect(found).toEqual(["4 jobs (org_id)"]);
    const fixes = queryIndex.check({ set: setOf("db", []), statements: [], schema: schemaOf(SCHEMA), patterns: patterns(body), problems: [], config: config() });
    expect(fixes.map((f) => f.fix?.sql).join("\n")).not.toMatch(/\$\d|batch_id/);
  });
});
