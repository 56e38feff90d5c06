// expressionProblem() says whether PostgreSQL would accept an expression as an index key. PostgreSQL is
// the judge: each expression is also built with CREATE INDEX in PGlite, and the two answers must agree.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PGlite } from "@electric-sql/pglite";
import { expressionProblem } from "../../src/advisor/index-ddl.js";
import { buildInput } from "../rules/helpers.js";
import { startPGlite } from "../support/pglite.js";

const DDL = `CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, local_at timestamp NOT NULL, day date, email text, n int);`;

const EXPRESSIONS = [
  "lower(email)",
  "n % 10",
  "local_at - interval '30 days'",
  "at - interval '30 days'",
  "at + interval '1 hour'",
  "date_trunc('day', local_at)",
  "date_trunc('day', at)",
  "at AT TIME ZONE 'UTC'",
  "(at AT TIME ZONE 'UTC')::date",
  "at::date",
  "local_at::date",
  "day::text",
  "n::text",
  "extract(epoch from at)",
  "extract(year from local_at)",
  "coalesce(email, '')",
  "now() - at",
  "count(id)",
];

describe("index key expressions PostgreSQL accepts", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await startPGlite();
    await db.exec(DDL);
  });
  afterAll(async () => db?.close());

  const table = () => buildInput([{ path: "m/001.sql", sql: DDL }]).schema.tables[0];

  for (const [i, expression] of EXPRESSIONS.entries()) {
    it(expression, async () => {
      let accepted = true;
      try {
        await db.exec(`CREATE INDEX e${i} ON events ((${expression}))`);
      } catch {
        accepted = false;
      }
      const problem = expressionProblem(table(), expression);
      expect(problem === null, problem ?? "accepted by the advisor").toBe(accepted);
    });
  }
});
