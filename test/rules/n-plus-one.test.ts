// n-plus-one over code read by the walker: what the loop does decides the advice, or its absence.
import { beforeAll, describe, expect, it } from "vitest";
import { patternsFromMigrations } from "../../src/queries/migration-sql.js";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { nPlusOne } from "../../src/rules/n-plus-one.js";
import { initParser } from "../../src/sql/parser.js";
import { config, schemaOf, setOf, statementsOf } from "../queries/helpers.js";

beforeAll(() => initParser());

const SCHEMA = `
  CREATE TABLE users (id uuid PRIMARY KEY, email text, status text, position int, organization_id uuid);
  CREATE TABLE settings (id uuid PRIMARY KEY, organization_id uuid NOT NULL, value jsonb);
`;

function check(code: string, path = "src/jobs.ts") {
  const result = extractFromCodeFile(path, `import { supabase } from "./client";\nimport { pool } from "./db";\n${code}`);
  expect(result.problems).toEqual([]);
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SCHEMA), patterns: result.patterns, problems: [], config: config() });
}

const seen = (code: string, path?: string) => check(code, path).map((f) => `${f.severity} ${f.location.line}: ${f.message}`);

describe("n-plus-one: batching is not N+1", () => {
  it.each([
    ["supabase-js .in() of each chunk", `export async function load(chunks: string[][]) {\n  for (const chunk of chunks) await supabase.from("users").select("id").in("id", chunk);\n}`],
    [
      "= ANY($1) of a slice of the ids",
      `export async function load(ids: string[]) {\n  for (let i = 0; i < ids.length; i += 500) {\n    const chunk = ids.slice(i, i + 500);\n    await pool.query("SELECT id FROM users WHERE id = ANY($1::uuid[])", [chunk]);\n  }\n}`,
    ],
    ["IN of a chunk pasted into a template", "export async function load(chunks: string[][]) {\n  for (const c of chunks) await pool.query(`UPDATE users SET status = 'x' WHERE id IN (${c.map(q).join(',')})`);\n}"],
    ["supabase-js .insert() of each batch", `export async function save(batches: object[][]) {\n  for (const batch of batches) await supabase.from("users").insert(batch);\n}`],
  ])("%s: no finding", (_name, code) => {
    expect(seen(code)).toEqual([]);
  });

  it("a constant IN list beside a per-item key is still one query per item", () => {
    const code = `export async function load(ids: string[]) {\n  for (const id of ids) await supabase.from("users").select("id").in("status", ["a", "b"]).eq("organization_id", id);\n}`;
    expect(seen(code)).toEqual([
      'routine 4: `load()` reads `users` inside the for...of loop at line 4: one round trip per iteration (N+1). Collect the keys and run one query with `.in("organization_id", ids)`, keeping the query\'s other conditions (status).',
    ]);
  });
});

describe("n-plus-one: one-off data migrations", () => {
  const code = `export async function backfill(ids: string[]) {\n  for (const id of ids) await supabase.from("users").update({ status: "active" }).eq("id", id);\n}`;

  it.each(["supabase/migrations/20240101_backfill.ts", "db/migrations/backfill-status.ts", "scripts/migrate-users.ts", "packages/db/src/migration-scripts/move-to-spaces.ts"])("%s is NOTED", (path) => {
    const [f] = check(code, path);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("This is a one-off data migration, so it runs once");
  });

  it("the same loop in application code is ROUTINE", () => {
    expect(check(code, "src/lib/users.ts").map((f) => f.severity)).toEqual(["routine"]);
  });
});

describe("n-plus-one: per-row writes", () => {
  it("an UPDATE writing each row's own value is rewritten with UPDATE ... FROM (VALUES ...)", () => {
    const code = `export async function reorder(items: Array<{ id: string; position: number }>) {\n  for (const item of items) {\n    await pool.query("UPDATE users SET position = $1 WHERE id = $2", [item.position, item.id]);\n  }\n}`;
    expect(seen(code)).toEqual([
      "routine 5: `reorder()` updates `users` inside the for...of loop at line 4: one round trip per iteration (N+1). Each row gets its own values, so `= ANY` cannot batch it: " +
        "write them in one statement, `UPDATE users AS t SET col = v.col FROM (VALUES ...) AS v(id, col) WHERE t.id = v.id` (or `FROM unnest($1::...[], $2::...[]) AS v(id, col)`).",
    ]);
  });

  it("with supabase-js, through one database function", () => {
    const code = `export async function reorder(ids: string[]) {\n  await Promise.all(ids.map((id, index) => supabase.from("users").update({ position: index }).eq("id", id)));\n}`;
    const [f] = check(code);
    expect(f.message).toContain("Each row gets its own values, so `.in()` cannot batch it: send the rows to one database function (`.rpc()`) that runs `UPDATE users AS t SET col = v.col FROM (VALUES ...)");
  });

  it("an update that branches per item gets no advice", () => {
    const code = `export async function settle(items: Array<{ id: string; paid: boolean }>) {\n  for (const item of items) {\n    if (item.paid) await supabase.from("users").update({ status: "paid" }).eq("id", item.id);\n    else await pool.query("UPDATE users SET status = 'late', position = 0 WHERE id = $1", [item.id]);\n  }\n}`;
    expect(seen(code)).toEqual([]);
  });

  it("the same value for every row is still batched with = ANY", () => {
    const code = `export async function fail(ids: string[]) {\n  for (const id of ids) await pool.query("UPDATE users SET status = 'failed' WHERE id = $1", [id]);\n}`;
    expect(seen(code)[0]).toContain("Collect the keys and run one query with `WHERE id = ANY($1)` (the written values are the same for every row).");
  });
});

describe("n-plus-one: a query repeated unchanged", () => {
  it("is moved out of the loop, not turned into = ANY", () => {
    const code = `export async function render(org: string, items: string[]) {\n  for (const item of items) {\n    const { data: settings } = await supabase.from("settings").select("value").eq("organization_id", org).single();\n    draw(item, settings);\n  }\n}`;
    expect(seen(code)).toEqual([
      "routine 5: `render()` runs the same query on `settings` in every iteration of the for...of loop at line 4: nothing in it depends on the loop. Run it once before the loop and reuse the result.",
    ]);
  });

  it("a polling loop that asks the same question until nothing is left is batching, not N+1", () => {
    const code = `export async function drain() {\n  let more = true;\n  while (more) {\n    const { rows } = await pool.query("SELECT id FROM users WHERE status = 'queued' LIMIT 100");\n    more = rows.length > 0;\n  }\n}`;
    expect(seen(code)).toEqual([]);
  });

  it("a do...while loop deleting in batches until fewer than a batch are left is batching, not N+1", () => {
    const code = [
      "const BATCH = 10000;",
      "export async function cleanup(cutoff: Date) {",
      "  let deleted = 0;",
      "  do {",
      "    deleted = await prisma.$executeRaw`DELETE FROM users WHERE ctid IN (SELECT ctid FROM users WHERE status = 'gone' AND created_at < ${cutoff} LIMIT ${BATCH})`;",
      "  } while (deleted >= BATCH);",
      "}",
    ].join("\n");
    expect(seen(code)).toEqual([]);
  });

  it("a while loop whose query sends a value that changes per iteration is still N+1", () => {
    const code = `export async function walk(ids: string[]) {\n  let i = 0;\n  while (i < ids.length) {\n    const { rows } = await pool.query("SELECT * FROM users WHERE id = $1", [ids[i]]);\n    i++;\n  }\n}`;
    expect(seen(code)[0]).toContain("one round trip per iteration (N+1)");
  });
});

describe("n-plus-one: PL/pgSQL loops", () => {
  it("speaks of executions inside the database, not round trips, and is NOTED", () => {
    const sql = `CREATE FUNCTION touch_all(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE u uuid;
BEGIN
  FOREACH u IN ARRAY ids LOOP
    UPDATE users SET status = 'seen' WHERE id = u;
  END LOOP;
END $$;`;
    const patterns = patternsFromMigrations(statementsOf("migrations/002_touch.sql", sql));
    const findings = nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SCHEMA), patterns, problems: [], config: config() });
    expect(findings.map((f) => f.severity)).toEqual(["noted"]);
    expect(findings[0].message).toMatch(/^`touch_all\(\)` updates `users` inside the FOREACH LOOP at line \d+, once per row, inside the database: no network round trip, but one statement execution per row\./);
    expect(findings[0].message).not.toContain("N+1");
  });
});

describe("n-plus-one: one finding per loop", () => {
  it("several queries in one loop body are one finding naming the loop, the others as related call sites", () => {
    const code = [
      "export async function purge(ids: string[]) {",
      "  for (const id of ids) {",
      '    await supabase.from("settings").delete().eq("organization_id", id);',
      '    await supabase.from("users").update({ status: "gone" }).eq("organization_id", id);',
      "  }",
      "}",
    ].join("\n");
    const findings = check(code);
    expect(findings.map((f) => `${f.severity} ${f.location.line}: ${f.message}`)).toEqual([
      "routine 5: `purge()` sends 2 queries inside the for...of loop at line 4, each once per iteration (N+1). It deletes from `settings` (line 5): " +
        'collect the keys and run one query with `.in("organization_id", ids)`; updates `users` (line 6): collect the keys and run one query with `.in("organization_id", ids)` (the written values are the same for every row).',
    ]);
    expect(findings[0].related?.map((l) => l.line)).toEqual([6]);
  });
});

describe("n-plus-one: dependent loops", () => {
  it("a retry until a unique value is free has no keys to collect: no finding", () => {
    const code = [
      "export async function uniqueEmail(base: string) {",
      "  let email = base;",
      "  let n = 1;",
      "  while (true) {",
      '    const { rows } = await pool.query("SELECT id FROM users WHERE email = $1 LIMIT 1", [email]);',
      "    if (rows.length === 0) return email;",
      "    email = `${n++}.${base}`;",
      "  }",
      "}",
    ].join("\n");
    expect(seen(code)).toEqual([]);
  });

  it("a walk up a parent chain is NOTED with WITH RECURSIVE, not batched", () => {
    const code = [
      "export async function ancestors(start: string) {",
      "  let current: string | null = start;",
      "  while (current) {",
      '    const row = await prisma.users.findUnique({ where: { id: current }, select: { organization_id: true } });',
      "    current = row?.organization_id ?? null;",
      "  }",
      "}",
    ].join("\n");
    const findings = check(code);
    expect(findings.map((f) => f.severity)).toEqual(["noted"]);
    expect(findings[0].message).toContain("one row at a time inside the while loop at line 5, each key taken from the row before");
    expect(findings[0].message).toContain("`WITH RECURSIVE`");
    expect(findings[0].message).not.toContain("= ANY");
  });
});

describe("n-plus-one: writes tied to an external call", () => {
  it("marking each item after its own email went out is not batched: no finding", () => {
    const code = [
      "export async function remind(users: Array<{ id: string; email: string }>) {",
      "  for (const user of users) {",
      "    await mailer.sendMail({ to: user.email });",
      '    await pool.query("UPDATE users SET status = $1 WHERE id = $2", ["reminded", user.id]);',
      "  }",
      "}",
    ].join("\n");
    expect(seen(code)).toEqual([]);
  });

  it("the same value written to every row (a timestamp included) is batched by key, not called per-row values", () => {
    const code = `export async function stamp(ids: string[]) {\n  for (const id of ids) await supabase.from("users").update({ status: "sent", position: Date.now() }).eq("id", id);\n}`;
    const [message] = seen(code);
    expect(message).toContain('Collect the keys and run one query with `.in("id", ids)`');
    expect(message).not.toContain("each row gets its own values");
  });
});

describe("n-plus-one: upserts and keys", () => {
  it("an upsert loop is advised as one INSERT ... ON CONFLICT DO UPDATE, not a multi-row INSERT", () => {
    const code = `export async function save(rows: Array<{ id: string; email: string }>) {\n  for (const r of rows) await pool.query("INSERT INTO users (id, email) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email", [r.id, r.email]);\n}`;
    const [message] = seen(code);
    expect(message).toContain("ON CONFLICT");
    expect(message).toContain("one `INSERT ... VALUES (...), (...) ON CONFLICT (id) DO UPDATE SET col = EXCLUDED.col` over all the rows");
    expect(message).not.toContain("multi-row `INSERT ... VALUES` (or");
  });

  it("supabase-js .upsert() in a loop becomes one .upsert([...rows]) call", () => {
    const code = `export async function save(rows: Array<{ id: string }>) {\n  for (const r of rows) await supabase.from("users").upsert({ id: r.id, status: "x" });\n}`;
    expect(seen(code)[0]).toContain("Collect the rows and write them in one `.upsert([...rows])` call");
  });

  it("the batching key is the column the loop varies, never one compared with a constant", () => {
    const code = `export async function count(orgs: Array<{ id: string }>) {\n  for (const org of orgs) await supabase.from("users").select("id").eq("status", STATUS.ACTIVE).eq("organization_id", org.id);\n}`;
    const [message] = seen(code);
    expect(message).toContain('`.in("organization_id", ids)`');
  });
});

describe("n-plus-one: upserts through a query builder", () => {
  it("a Drizzle onConflictDoUpdate in a loop becomes one .values([...rows]) with the same conflict clause", () => {
    const path = "src/save.ts";
    const code = [
      'import { db } from "./db";',
      'import { users } from "./schema";',
      "export async function save(rows: Array<{ id: string; email: string }>) {",
      "  for (const r of rows) await db.insert(users).values({ id: r.id, email: r.email }).onConflictDoUpdate({ target: users.id, set: { email: r.email } });",
      "}",
    ].join("\n");
    const result = extractFromCodeFile(path, code);
    const findings = nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SCHEMA), patterns: result.patterns, problems: [], config: config() });
    expect(findings.map((f) => f.message)).toEqual([
      "`save()` writes to `users` inside the for...of loop at line 4: one round trip per iteration (N+1). Collect the rows and write them in one " +
        "`.insert(table).values([...rows]).onConflictDoUpdate({ target, set })` with each column set from `excluded` " +
        "(`INSERT ... VALUES (...), (...) ON CONFLICT (key) DO UPDATE SET col = EXCLUDED.col` over all the rows).",
    ]);
  });
});
