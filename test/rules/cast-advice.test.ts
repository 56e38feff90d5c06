// A cast on an indexed column (`id::text = v`): the advice moves the cast to the value, and never
// suggests a cast that can raise an error where the original comparison found no row.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { castAdvice, declaredFunctions } from "../../src/advisor/cast-advice.js";
import { buildInput } from "./helpers.js";
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

function parseStatements(sql: string) {
  return buildInput([{ path: "m/001.sql", sql }]).statements;
}

describe("cast advice when the compared value calls a VOLATILE function", () => {
  // The platform's own filename() is PL/pgSQL with no volatility clause, so VOLATILE.
  const VOLATILE_MIGRATION = MIGRATION.replace(
    "CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT split_part(name, '/', -1) $$;",
    () => "CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN split_part(name, '/', -1); END $$;",
  );
  const UUID_GUARD = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;
  let message: string;
  let vdb: PGlite;
  beforeAll(async () => {
    const result = await audit(memorySource({ "supabase/migrations/20240101000000_init.sql": VOLATILE_MIGRATION }), { config: DEFAULT_CONFIG });
    const casts = result.findings.filter((f) => f.title === "Cast hides the column from its index");
    expect(casts).toHaveLength(1);
    message = casts[0].message;
    vdb = await startPGlite();
    await vdb.exec(VOLATILE_MIGRATION);
    await vdb.exec("INSERT INTO assistants (sharing) SELECT 'public' FROM generate_series(1, 5000); ANALYZE assistants;");
  });
  afterAll(() => vdb.close());

  async function genericPlan(where: string, type = "text"): Promise<string> {
    await vdb.exec(`DEALLOCATE ALL; SET plan_cache_mode = force_generic_plan; PREPARE q(${type}) AS SELECT 1 FROM assistants WHERE ${where};`);
    const rows = await vdb.query<{ "QUERY PLAN": string }>("EXPLAIN EXECUTE q(NULL)");
    return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
  }

  it("says the function is VOLATILE and where it is declared, and computes the value once instead of moving the cast", () => {
    expect(message).toContain("Moving the cast to the value is not enough here: `storage.filename` is VOLATILE: supabase/migrations/20240101000000_init.sql:2 declares it without IMMUTABLE or STABLE");
    expect(message).toContain("into a variable (`v := CASE WHEN storage.filename(p_name) ~");
    expect(advisedSql(message)).toBe(`id = (SELECT CASE WHEN storage.filename(p_name) ~ ${UUID_GUARD} THEN storage.filename(p_name)::uuid END)`);
  });

  it("PostgreSQL: the moved cast with the volatile call is still a Seq Scan; computed once, a variable or an immutable expression is an Index Scan", async () => {
    const moved = `id = CASE WHEN storage.filename($1) ~ ${UUID_GUARD} THEN storage.filename($1)::uuid END`;
    const movedPlan = await genericPlan(moved);
    expect(movedPlan).toContain("Seq Scan on assistants");
    expect(movedPlan).not.toContain("assistants_pkey");
    const once = await genericPlan(advisedSql(message).replaceAll("p_name", () => "$1"));
    expect(once).toMatch(/Index (Only )?Scan using assistants_pkey/);
    expect(once).toContain("Index Cond: (id = (InitPlan 1).col1)");
    // A PL/pgSQL variable reaches the query as a parameter.
    expect(await genericPlan("id = $1", "uuid")).toMatch(/Index Cond: \(id = \$1\)/);
    const immutable = await genericPlan(`id = CASE WHEN split_part($1, '/', -1) ~ ${UUID_GUARD} THEN split_part($1, '/', -1)::uuid END`);
    expect(immutable).toMatch(/Index Cond: \(id = CASE WHEN/);
  });

  it("PostgreSQL: the advised form finds the same rows as the original, and no row (no error) for a path that is not a uuid", async () => {
    const rewritten = VOLATILE_MIGRATION.split("\n").find((l) => l.includes("id::text"))!.replace("(id::text = (storage.filename(p_name)))", () => `(${advisedSql(message)})`);
    await vdb.exec(`CREATE FUNCTION once_exists(p_name text) RETURNS boolean LANGUAGE sql AS $$ ${rewritten} $$;`);
    const id = (await vdb.query<{ id: string }>("SELECT id::text AS id FROM assistants LIMIT 1")).rows[0].id;
    const answers = await vdb.query<Record<string, boolean>>(
      "SELECT once_exists('folder/logo.png') AS not_uuid, once_exists('folder/' || $1) AS found, shared_assistant_exists('folder/' || $1) AS original",
      [id],
    );
    expect(answers.rows[0]).toEqual({ not_uuid: false, found: true, original: true });
  });

  it("knows volatile built-ins and declared volatility, and takes a schema-qualified function it does not know for volatile", () => {
    expect(castAdvice({ column: "id", type: "bigint", compared: "(random() * 100)::int" })).toContain("`random` is VOLATILE (PostgreSQL's catalog)");
    expect(castAdvice({ column: "id", type: "uuid", compared: "storage.filename(p_name)" })).toContain("`storage.filename` is not created by these migrations");
    // STABLE and IMMUTABLE functions, declared or built in, keep the plain advice.
    const functions = declaredFunctions(parseStatements("CREATE FUNCTION app.slug_of(t text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT lower(t) $$;"));
    expect(castAdvice({ column: "id", type: "uuid", compared: "app.slug_of(p)", functions })).toContain("guard the cast");
    expect(castAdvice({ column: "id", type: "uuid", compared: "lower(p)" })).toContain("guard the cast");
    // ALTER FUNCTION ... IMMUTABLE changes what CREATE FUNCTION declared.
    const altered = declaredFunctions(
      parseStatements("CREATE FUNCTION app.f(t text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN t; END $$;\nALTER FUNCTION app.f(text) IMMUTABLE;"),
    );
    expect(altered.get("app.f")?.volatility).toBe("immutable");
  });
});
