// A cast on an indexed column (`id::text = v`): the advice moves the cast to the value, and never
// suggests a cast that can raise an error where the original comparison found no row.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { castAdvice } from "../../src/advisor/cast-advice.js";
import { audit } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { startPGlite } from "../support/pglite.js";
import { memorySource } from "../queries/support/audit-oracle.js";

const MIGRATION = `CREATE SCHEMA storage;
CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT split_part(name, '/', -1) $$;
CREATE TABLE assistants (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), sharing text NOT NULL);
CREATE FUNCTION public.shared_assistant_exists(p_name text) RETURNS boolean LANGUAGE sql SECURITY DEFINER AS $$
  SELECT EXISTS (SELECT 1 FROM assistants WHERE (id::text = (storage.filename(p_name))) AND sharing <> 'private');
$$;
`;

/** The SQL the advice says to write: the last backquoted span after "so write". */
function advisedSql(message: string): string {
  const match = /so write `([^`]+)`/.exec(message);
  expect(match).not.toBeNull();
  return match![1];
}

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

async function plan(sql: string): Promise<string> {
  const rows = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`);
  return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
}

describe("cast advice for a value that is not a bound parameter (a storage path segment in a policy function)", () => {
  let message: string;
  beforeAll(async () => {
    const result = await audit(memorySource({ "supabase/migrations/20240101000000_init.sql": MIGRATION }), { config: DEFAULT_CONFIG });
    const casts = result.findings.filter((f) => f.title === "Cast hides the column from its index");
    expect(casts).toHaveLength(1);
    message = casts[0].message;
    await db.exec(MIGRATION);
    await db.exec("INSERT INTO assistants (sharing) SELECT 'public' FROM generate_series(1, 5000); ANALYZE assistants;");
  });

  it("says the value may not be a uuid and gives a guarded form, not `::uuid` alone", () => {
    expect(message).toContain("`storage.filename(p_name)` is not a bound parameter known to be a uuid, and casting other text raises an error where the original comparison finds no row");
    expect(advisedSql(message)).toBe(
      "id = CASE WHEN storage.filename(p_name) ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN storage.filename(p_name)::uuid END",
    );
  });

  it("PostgreSQL: the bare cast raises on a path that is not a uuid; the guarded form finds no row, and the same rows otherwise", async () => {
    const rewritten = MIGRATION.split("\n").find((l) => l.includes("id::text"))!.replace("(id::text = (storage.filename(p_name)))", () => `(${advisedSql(message)})`);
    const bare = rewritten.replace(advisedSql(message), () => "id = storage.filename(p_name)::uuid");
    const fn = (name: string, body: string) => `CREATE FUNCTION ${name}(p_name text) RETURNS boolean LANGUAGE sql AS $$ ${body} $$;`;
    await db.exec(fn("guarded_exists", rewritten) + fn("bare_exists", bare));
    const id = (await db.query<{ id: string }>("SELECT id::text AS id FROM assistants LIMIT 1")).rows[0].id;
    await expect(db.query("SELECT bare_exists('folder/logo.png')")).rejects.toThrow(/invalid input syntax for type uuid/);
    const answers = await db.query<Record<string, boolean>>(
      `SELECT guarded_exists('folder/logo.png') AS not_uuid, guarded_exists('folder/' || $1) AS found, shared_assistant_exists('folder/' || $1) AS original,
              guarded_exists('folder/' || upper($1)) AS upper_guarded, shared_assistant_exists('folder/' || upper($1)) AS upper_original`,
      [id],
    );
    expect(answers.rows[0]).toEqual({ not_uuid: false, found: true, original: true, upper_guarded: false, upper_original: false });
  });

  it("PostgreSQL: the guarded form is searched through the primary key, even in a generic plan", async () => {
    const guarded = advisedSql(message).replaceAll("p_name", () => "$1");
    await db.exec(`DEALLOCATE ALL; SET plan_cache_mode = force_generic_plan; PREPARE q(text) AS SELECT 1 FROM assistants WHERE ${guarded};`);
    const generic = await plan("EXECUTE q('x')");
    expect(generic).toContain("assistants_pkey");
    expect(generic).toMatch(/Index Cond: \(id = CASE WHEN/);
    // The original comparison is not.
    await db.exec(`DEALLOCATE ALL; PREPARE q(text) AS SELECT 1 FROM assistants WHERE id::text = storage.filename($1);`);
    expect(await plan("EXECUTE q('x')")).not.toContain("assistants_pkey");
  });
});

describe("cast advice for a bound parameter and for other types", () => {
  it("a bound parameter gets `$1::uuid` only on condition the value is always a uuid, and the guarded form otherwise", () => {
    const advice = castAdvice({ column: "id", type: "uuid", compared: "$1" });
    expect(advice).toBe(
      "Compare the column itself and cast the value instead (`id = $1::uuid`) if the value is always a valid uuid; if it may be other text, that cast raises an error where the original comparison finds no row, so write `id = CASE WHEN $1 ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN $1::uuid END`.",
    );
  });

  it("a bigint key gets a pg_input_is_valid guard, which PostgreSQL plans on the primary key and which never raises", async () => {
    const advice = castAdvice({ column: "id", type: "bigint", compared: "lower(p_ref)" });
    const sql = advisedSql(advice);
    expect(sql).toBe("id = CASE WHEN pg_input_is_valid(lower(p_ref), 'bigint') THEN lower(p_ref)::bigint END");
    await db.exec("CREATE TABLE ledger (id bigint PRIMARY KEY, note text); INSERT INTO ledger SELECT i, 'n' FROM generate_series(1, 5000) i; ANALYZE ledger;");
    const guarded = sql.replaceAll("p_ref", () => "$1");
    await db.exec(`DEALLOCATE ALL; SET plan_cache_mode = force_generic_plan; PREPARE l(text) AS SELECT id FROM ledger WHERE ${guarded};`);
    expect(await plan("EXECUTE l('x')")).toContain("ledger_pkey");
    for (const [value, rows] of [["42", 1], ["abc", 0], ["99999999999999999999999", 0]] as const) {
      expect((await db.query(`EXECUTE l('${value}')`)).rows).toHaveLength(rows);
    }
  });

  it("a text-typed column needs no guard: every text casts", () => {
    expect(castAdvice({ column: "slug", type: "text", compared: "lower(p)" })).toBe("Compare the column itself and cast the value instead (`slug = lower(p)::text`).");
  });
});
