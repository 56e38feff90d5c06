// The list of built-in functions no index expression can call is PostgreSQL's own catalog, read back.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALWAYS_VOLATILE_FUNCTIONS, NEVER_INDEXABLE_FUNCTIONS } from "../../src/queries/builtin-functions.js";
import { startPGlite } from "../support/pglite.js";

let db: PGlite;

beforeAll(async () => {
  db = await startPGlite();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe("functions no index expression can call", () => {
  it("are the pg_catalog names with no IMMUTABLE, non-set-returning plain-function overload", async () => {
    const rows = await db.query<{ proname: string }>(`
      SELECT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace GROUP BY proname
      HAVING NOT bool_or(prokind = 'f' AND provolatile = 'i' AND NOT proretset) ORDER BY proname COLLATE "C"`);
    expect([...NEVER_INDEXABLE_FUNCTIONS]).toEqual(rows.rows.map((r) => r.proname));
  });

  it("are refused by CREATE INDEX, and a listed name's neighbour that is immutable is accepted", async () => {
    await db.exec("CREATE TABLE probe (id int, at timestamptz, tags text[], email text)");
    for (const expression of ["now() - at", "random()", "count(id)", "row_number() OVER ()", "unnest(tags)", "to_char(at, 'YYYY')"]) {
      await expect(db.exec(`CREATE INDEX ON probe ((${expression}))`), expression).rejects.toThrow();
    }
    for (const expression of ["lower(email)", "array_length(tags, 1)"]) {
      expect(NEVER_INDEXABLE_FUNCTIONS.has(expression.slice(0, expression.indexOf("(")))).toBe(false);
      await db.exec(`CREATE INDEX ON probe ((${expression}))`);
    }
  });

  it("the always-volatile ones are the pg_catalog names every overload of which is VOLATILE", async () => {
    const rows = await db.query<{ proname: string }>(`
      SELECT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace GROUP BY proname
      HAVING bool_and(provolatile = 'v') ORDER BY proname COLLATE "C"`);
    expect([...ALWAYS_VOLATILE_FUNCTIONS]).toEqual(rows.rows.map((r) => r.proname));
  });
});
