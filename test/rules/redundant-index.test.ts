import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redundantIndex } from "../../src/rules/redundant-index.js";
import { initParser, parseSql } from "../../src/sql/parser.js";
import { check } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

const TABLE = "CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int, email text, status text);\n";

function findings(sql: string) {
  return check(redundantIndex, TABLE + sql);
}

beforeAll(async () => {
  await initParser();
});

describe("redundant-index", () => {
  it("leaves the platform's auth and storage schemas alone: their indexes are not the project's to drop", () => {
    const sql = "CREATE SCHEMA auth;\nCREATE TABLE auth.users (id uuid PRIMARY KEY, instance_id uuid, email text);\nCREATE INDEX users_instance_id_idx ON auth.users (instance_id);\nCREATE INDEX users_instance_id_email_idx ON auth.users (instance_id, lower(email));\n";
    expect(findings(sql)).toEqual([]);
    // The same pair in the project's own schema is reported.
    expect(findings(sql.replaceAll("auth.users", "public.users")).map((f) => f.table)).toEqual(["public.users"]);
  });

  it("reports an exact duplicate, dropping and locating the later one", () => {
    const result = findings("CREATE INDEX t_a_1 ON t (a);\nCREATE INDEX t_a_2 ON t (a);");
    expect(result).toHaveLength(1);
    expect(result[0].key).toBe("t_a_2");
    expect(result[0].message).toBe("Index t_a_2 duplicates t_a_1 on t; drop t_a_2.");
    expect(result[0].location.line).toBe(3);
    expect(result[0].table).toBe("public.t");
    expect(result[0].columns).toEqual(["a"]);
    expect(result[0].fix?.sql).toBe("DROP INDEX CONCURRENTLY IF EXISTS t_a_2;");
    expect(parseSql(result[0].fix!.sql).ok).toBe(true);
    expect(result[0].details).toMatch(/writes both indexes/);
  });

  it("reports a leading prefix and locates the finding at the later index", () => {
    const result = findings("CREATE INDEX t_a ON t (a);\nCREATE INDEX t_a_b ON t (a, b);");
    expect(result).toHaveLength(1);
    expect(result[0].key).toBe("t_a");
    expect(result[0].message).toContain("is a prefix of t_a_b(a, b)");
    expect(result[0].location.line).toBe(3);
  });

  it("does not call a non-leading subset a prefix", () => {
    expect(findings("CREATE INDEX t_b ON t (b);\nCREATE INDEX t_a_b ON t (a, b);")).toEqual([]);
  });

  it("never drops a unique index for a non-unique one that extends it, but drops a plain index a unique one extends", () => {
    expect(findings("CREATE UNIQUE INDEX t_a_u ON t (a);\nCREATE INDEX t_a_b ON t (a, b);")).toEqual([]);
    const result = findings("CREATE INDEX t_a ON t (a);\nCREATE UNIQUE INDEX t_a_b_u ON t (a, b);");
    expect(result.map((f) => f.key)).toEqual(["t_a"]);
  });

  it("keeps the index behind a constraint and drops the duplicate of it", () => {
    const result = findings("CREATE INDEX t_id ON t (id);");
    expect(result).toHaveLength(1);
    expect(result[0].key).toBe("t_id");
    expect(result[0].details).toContain("t_pkey");
  });

  it("never advises dropping a unique index: two that enforce the same thing are noted, with no fix", () => {
    const unique = check(redundantIndex, "CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE);\nCREATE UNIQUE INDEX u_email ON u (email);");
    expect(unique).toHaveLength(1);
    expect(unique[0].severity).toBe("noted");
    expect(unique[0].key).toBe("u_email");
    expect(unique[0].message).toBe("Unique indexes u_email and u_email_key on u(email) enforce the same uniqueness; every write maintains both.");
    expect(unique[0].fix).toBeUndefined();
    const twins = check(redundantIndex, "CREATE TABLE v (a int);\nCREATE UNIQUE INDEX v_a_1 ON v (a);\nCREATE UNIQUE INDEX v_a_2 ON v (a);");
    expect(twins.map((f) => [f.key, f.severity, f.fix])).toEqual([["v_a_2", "noted", undefined]]);
  });

  it("keeps a unique partial index that a wider index overlaps: it is what allows one home workspace per user", () => {
    const sql =
      "CREATE TABLE workspaces (id int PRIMARY KEY, user_id int, is_home boolean, created_at timestamptz);\n" +
      "CREATE UNIQUE INDEX one_home ON workspaces (user_id) WHERE is_home;\n" +
      "CREATE INDEX ws_home_user_created ON workspaces (user_id, created_at) WHERE is_home;\n" +
      "CREATE INDEX ws_home_user ON workspaces (user_id) WHERE is_home;";
    const result = check(redundantIndex, sql);
    // The plain partial index is the redundant one; one_home is never offered for dropping.
    expect(result.map((f) => f.key)).toEqual(["ws_home_user"]);
    expect(result.every((f) => !f.fix?.sql.includes("one_home"))).toBe(true);
  });

  it("treats different predicates, methods, opclasses, directions and include lists as different", () => {
    expect(findings("CREATE INDEX p1 ON t (a) WHERE status = 'x';\nCREATE INDEX p2 ON t (a) WHERE status = 'y';")).toEqual([]);
    expect(findings("CREATE INDEX p1 ON t (a) WHERE status = 'x';\nCREATE INDEX p2 ON t (a, b);")).toEqual([]);
    expect(findings("CREATE INDEX h1 ON t USING hash (a);\nCREATE INDEX b1 ON t (a);")).toEqual([]);
    expect(findings("CREATE INDEX o1 ON t (email text_pattern_ops);\nCREATE INDEX o2 ON t (email);")).toEqual([]);
    expect(findings("CREATE INDEX d1 ON t (a, b DESC);\nCREATE INDEX d2 ON t (a, b);")).toEqual([]);
    expect(findings("CREATE INDEX i1 ON t (a) INCLUDE (c);\nCREATE INDEX i2 ON t (a, b);")).toEqual([]);
  });

  it("matches partial indexes with the same predicate, and expression keys", () => {
    const partial = findings("CREATE INDEX p1 ON t (a) WHERE status = 'x';\nCREATE INDEX p2 ON t (a, b) WHERE status = 'x';");
    expect(partial.map((f) => f.key)).toEqual(["p1"]);
    const expression = findings("CREATE INDEX e1 ON t (lower(email));\nCREATE INDEX e2 ON t (lower(email));");
    expect(expression.map((f) => f.key)).toEqual(["e2"]);
    expect(expression[0].columns).toEqual(["lower(email)"]);
  });

  it("reads a whole prefix chain, naming the widest index as the one to keep", () => {
    const result = findings("CREATE INDEX c1 ON t (a);\nCREATE INDEX c2 ON t (a, b);\nCREATE INDEX c3 ON t (a, b, c);");
    expect(result.map((f) => f.key).sort()).toEqual(["c1", "c2"]);
    expect(result.every((f) => f.message.includes("c3"))).toBe(true);
  });

  it("names the narrowest index that covers the dropped one, before a wider constraint's index", () => {
    const result = findings("ALTER TABLE t ADD CONSTRAINT t_abc UNIQUE (a, b, c, status);\nCREATE INDEX t_a_e ON t (a, email);\nCREATE INDEX t_a ON t (a);");
    expect(result.map((f) => f.key)).toEqual(["t_a"]);
    expect(result[0].message).toContain("t_a_e");
    expect(result[0].message).not.toContain("t_abc ");
  });

  it("sees only what is left after later migrations drop an index", () => {
    const files = [
      { path: "m/001.sql", sql: TABLE + "CREATE INDEX t_a ON t (a);\nCREATE INDEX t_a_b ON t (a, b);" },
      { path: "m/002.sql", sql: "DROP INDEX t_a;" },
    ];
    expect(check(redundantIndex, files)).toEqual([]);
  });

  it("qualifies the index in another schema", () => {
    const result = check(redundantIndex, "CREATE SCHEMA app;\nCREATE TABLE app.t (a int);\nCREATE INDEX x1 ON app.t (a);\nCREATE INDEX x2 ON app.t (a);");
    expect(result[0].table).toBe("app.t");
    expect(result[0].fix?.sql).toBe("DROP INDEX CONCURRENTLY IF EXISTS app.x2;");
  });
});

describe("redundant-index: every drop it advises leaves every constraint in place (PostgreSQL decides)", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await startPGlite();
  });
  afterAll(async () => {
    await db.close();
  });

  const schemas = [
    "CREATE TABLE s (id int PRIMARY KEY, a int, b int, email text UNIQUE);\nCREATE UNIQUE INDEX s_email ON s (email);\nCREATE INDEX s_id ON s (id);\nCREATE INDEX s_a ON s (a);\nCREATE UNIQUE INDEX s_a_b ON s (a, b);",
    "CREATE TABLE s (id int PRIMARY KEY, user_id int, is_home boolean);\nCREATE UNIQUE INDEX one_home ON s (user_id) WHERE is_home;\nCREATE INDEX s_home ON s (user_id) WHERE is_home;\nCREATE UNIQUE INDEX s_home_2 ON s (user_id) WHERE is_home;",
    "CREATE TABLE s (a int, b int, UNIQUE (a, b), UNIQUE NULLS NOT DISTINCT (a, b));\nCREATE INDEX s_a_b ON s (a, b);\nCREATE INDEX s_b_a ON s (b DESC, a DESC);\nCREATE INDEX s_b_a_2 ON s (b, a);",
  ];

  async function constraintsAndUniqueIndexes(): Promise<string[]> {
    const rows = await db.query<{ what: string }>(
      `SELECT 'constraint ' || conname AS what FROM pg_constraint WHERE conrelid = 's'::regclass
       UNION ALL SELECT 'unique index ' || indexrelid::regclass::text FROM pg_index WHERE indrelid = 's'::regclass AND indisunique
       ORDER BY 1`,
    );
    return rows.rows.map((r) => r.what);
  }

  it.each(schemas.map((sql, i) => ({ i, sql })))("schema $i", async ({ sql }) => {
    await db.exec("DROP TABLE IF EXISTS s;");
    await db.exec(sql);
    const before = await constraintsAndUniqueIndexes();
    const drops = check(redundantIndex, sql).filter((f) => f.fix);
    expect(drops.length).toBeGreaterThan(0);
    for (const finding of drops) await db.exec(finding.fix!.sql);
    expect(await constraintsAndUniqueIndexes()).toEqual(before);
  });
});
