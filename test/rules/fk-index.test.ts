import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fkIndex } from "../../src/rules/fk-index.js";
import { initParser, parseSql } from "../../src/sql/parser.js";
import type { AccessPattern, QueryKind } from "../../src/core/types.js";
import { buildInput, check, contextOf } from "./helpers.js";
import { jwtSessionStrategy } from "../../src/queries/auth-sessions.js";
import { startPGlite } from "../support/pglite.js";

const PARENT = "CREATE TABLE parent (id int PRIMARY KEY, a int, b int, UNIQUE (a, b));\n";

/** Findings of fk-index for a schema made of the parent table plus the given child DDL. */
function findings(childSql: string, options: Parameters<typeof check>[2] = {}) {
  return check(fkIndex, PARENT + childSql, options);
}

beforeAll(async () => {
  await initParser();
});

describe("fk-index: which indexes serve the foreign-key check", () => {
  it("reports a foreign key with no index, at the foreign key's line, with a runnable fix", () => {
    const result = findings("CREATE TABLE child (\n  id int PRIMARY KEY,\n  parent_id int REFERENCES parent (id)\n);");
    expect(result).toHaveLength(1);
    const [finding] = result;
    expect(finding.table).toBe("public.child");
    expect(finding.columns).toEqual(["parent_id"]);
    expect(finding.location.line).toBe(4);
    expect(finding.severity).toBe("routine");
    expect(finding.message).toContain("child(parent_id)");
    // The table is created in the same, not yet applied migration: empty while the index builds, so no
    // CONCURRENTLY (which would fail inside the migration's transaction), right after the key.
    expect(finding.fix?.sql).toBe("CREATE INDEX IF NOT EXISTS idx_child_parent_id ON child (parent_id);");
    expect(finding.fix?.placement).toBeUndefined();
    expect(parseSql(finding.fix!.sql).ok).toBe(true);
  });

  it("names the statement the RI trigger runs for the key's ON DELETE action (ri_triggers.c)", () => {
    const ri = (action: string) => findings(`CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id) ${action});`)[0].details;
    expect(ri("")).toContain("runs `SELECT 1 FROM ONLY child WHERE parent_id = $1 FOR KEY SHARE`, and every UPDATE of its key runs the same lookup for ON UPDATE NO ACTION");
    expect(ri("ON DELETE CASCADE")).toContain("runs `DELETE FROM ONLY child WHERE parent_id = $1`");
    expect(ri("ON DELETE SET NULL")).toContain("runs `UPDATE ONLY child SET parent_id = NULL WHERE parent_id = $1`");
  });

  it("a key added to an existing table in a migration that runs in a transaction gets CONCURRENTLY as a migration of its own", () => {
    const result = check(fkIndex, [
      { path: "supabase/migrations/001_init.sql", sql: "CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (id int PRIMARY KEY);" },
      { path: "supabase/migrations/002_key.sql", sql: "ALTER TABLE child ADD COLUMN parent_id int REFERENCES parent (id);" },
    ], { framework: "supabase", runsInTransaction: true });
    expect(result.map((f) => [f.fix?.sql, f.fix?.placement])).toEqual([["CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_child_parent_id ON child (parent_id);", "separate"]]);
    expect(result[0].details).toContain("CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
  });

  it("accepts a composite index whose leading columns are the key in another order", () => {
    const sql = "CREATE TABLE child (x int, y int, z int, FOREIGN KEY (y, x) REFERENCES parent (a, b));\nCREATE INDEX child_xyz ON child (x, y, z);";
    expect(findings(sql)).toEqual([]);
  });

  it("does not accept the key columns behind another leading column", () => {
    const result = findings("CREATE TABLE child (x int, y int REFERENCES parent (id));\nCREATE INDEX child_xy ON child (x, y);");
    expect(result).toHaveLength(1);
    expect(result[0].details).toContain("child_xy starts with (x, y)");
  });

  it("does not count INCLUDE columns", () => {
    const result = findings("CREATE TABLE child (x int, parent_id int REFERENCES parent (id));\nCREATE INDEX child_x_inc ON child (x) INCLUDE (parent_id);");
    expect(result).toHaveLength(1);
    expect(result[0].details).toContain("only as INCLUDE columns");
  });

  it("counts the primary key and UNIQUE constraints' indexes", () => {
    expect(findings("CREATE TABLE child (parent_id int REFERENCES parent (id), tag text, PRIMARY KEY (parent_id, tag));")).toEqual([]);
    expect(findings("CREATE TABLE child (id int PRIMARY KEY, parent_id int UNIQUE REFERENCES parent (id));")).toEqual([]);
  });

  it("counts a partial index only when its predicate is IS NOT NULL on the key columns", () => {
    expect(findings("CREATE TABLE child (parent_id int REFERENCES parent (id), status text);\nCREATE INDEX c1 ON child (parent_id) WHERE parent_id IS NOT NULL;")).toEqual([]);
    const partial = findings("CREATE TABLE child (parent_id int REFERENCES parent (id), status text);\nCREATE INDEX c1 ON child (parent_id) WHERE status = 'x';");
    expect(partial).toHaveLength(1);
    expect(partial[0].details).toMatch(/c1 is partial \(WHERE status = 'x'\)/);
  });

  it("does not count GIN, GiST or BRIN indexes", () => {
    const result = findings("CREATE TABLE child (parent_id int REFERENCES parent (id));\nCREATE INDEX child_brin ON child USING brin (parent_id);");
    expect(result).toHaveLength(1);
    expect(result[0].details).toContain("child_brin is a BRIN index");
    expect(findings("CREATE TABLE child (parent_id int REFERENCES parent (id));\nCREATE INDEX child_gin ON child USING gin (parent_id);")).toHaveLength(1);
  });

  it("counts a single-column hash index for a single-column key only", () => {
    expect(findings("CREATE TABLE child (parent_id int REFERENCES parent (id));\nCREATE INDEX child_h ON child USING hash (parent_id);")).toEqual([]);
    const composite = findings("CREATE TABLE child (x int, y int, FOREIGN KEY (x, y) REFERENCES parent (a, b));\nCREATE INDEX child_h ON child USING hash (x);");
    expect(composite).toHaveLength(1);
    expect(composite[0].columns).toEqual(["x", "y"]);
  });

  it("reports a composite key that an index covers only in part", () => {
    const result = findings("CREATE TABLE child (x int, y int, FOREIGN KEY (x, y) REFERENCES parent (a, b));\nCREATE INDEX child_x ON child (x);");
    expect(result).toHaveLength(1);
    expect(result[0].fix?.sql).toBe("CREATE INDEX IF NOT EXISTS idx_child_x_y ON child (x, y);");
  });

  it("sees indexes created in later migration files and counts an index on the partitioned parent for its partitions", () => {
    const files = [
      { path: "m/001.sql", sql: PARENT + "CREATE TABLE child (parent_id int REFERENCES parent (id));" },
      { path: "m/002.sql", sql: "CREATE INDEX child_parent ON child (parent_id);" },
    ];
    expect(check(fkIndex, files)).toEqual([]);
    const partitioned =
      PARENT +
      "CREATE TABLE events (parent_id int, at date) PARTITION BY RANGE (at);\n" +
      "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n" +
      "ALTER TABLE events_2026 ADD FOREIGN KEY (parent_id) REFERENCES parent (id);\n" +
      "CREATE INDEX events_parent ON events (parent_id);";
    expect(check(fkIndex, partitioned)).toEqual([]);
  });

  it("gives a partitioned table a fix without CONCURRENTLY, which PostgreSQL refuses there", () => {
    const result = findings("CREATE TABLE events (parent_id int REFERENCES parent (id), at date) PARTITION BY RANGE (at);");
    expect(result).toHaveLength(1);
    expect(result[0].fix?.sql).toBe("CREATE INDEX IF NOT EXISTS idx_events_parent_id ON events (parent_id);");
    expect(result[0].details).toContain("ON ONLY");
  });

  it("quotes identifiers only where needed, qualifies non-public tables, and keeps names within 63 bytes", () => {
    const quoted = check(fkIndex, 'CREATE TABLE "Owner" (id int PRIMARY KEY);\nCREATE TABLE "Visit" ("ownerId" int REFERENCES "Owner" (id));');
    expect(quoted[0].table).toBe("public.Visit");
    expect(quoted[0].fix?.sql).toBe('CREATE INDEX IF NOT EXISTS "idx_Visit_ownerId" ON "Visit" ("ownerId");');
    const long = "a_very_long_table_name_that_keeps_going_and_going_on";
    const other = check(
      fkIndex,
      `CREATE SCHEMA app;\nCREATE TABLE app.owner (id int PRIMARY KEY);\nCREATE TABLE app.${long} (the_owner_reference_column_with_a_long_name int REFERENCES app.owner (id));`,
    );
    const sql = other[0].fix!.sql;
    expect(sql).toContain(`ON app.${long} (the_owner_reference_column_with_a_long_name)`);
    const name = /IF NOT EXISTS (\S+) ON/.exec(sql)![1];
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(name.startsWith("idx_a_very_long")).toBe(true);
    expect(parseSql(sql).ok).toBe(true);
  });
});

// The planner is the judge: the foreign-key check is `SELECT 1 FROM ONLY child WHERE fk = $1 FOR KEY SHARE`,
// planned generically (parameters unknown), with sequential scans discouraged so any usable index shows up.
describe("fk-index agrees with PostgreSQL's planner", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await startPGlite();
  });
  afterAll(() => db.close());

  const cases: Array<{ name: string; child: string; fk: string[] }> = [
    { name: "no index", child: "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));", fk: ["parent_id"] },
    { name: "plain btree", child: "CREATE TABLE child (parent_id int REFERENCES parent (id));\nCREATE INDEX ci ON child (parent_id);", fk: ["parent_id"] },
    { name: "key second", child: "CREATE TABLE child (x int, parent_id int REFERENCES parent (id));\nCREATE INDEX ci ON child (x, parent_id);", fk: ["parent_id"] },
    { name: "include only", child: "CREATE TABLE child (x int, parent_id int REFERENCES parent (id));\nCREATE INDEX ci ON child (x) INCLUDE (parent_id);", fk: ["parent_id"] },
    { name: "partial not null", child: "CREATE TABLE child (parent_id int REFERENCES parent (id));\nCREATE INDEX ci ON child (parent_id) WHERE parent_id IS NOT NULL;", fk: ["parent_id"] },
    { name: "partial other", child: "CREATE TABLE child (parent_id int REFERENCES parent (id), status text);\nCREATE INDEX ci ON child (parent_id) WHERE status = 'x';", fk: ["parent_id"] },
    { name: "partial not null on another column", child: "CREATE TABLE child (parent_id int REFERENCES parent (id), x int);\nCREATE INDEX ci ON child (parent_id) WHERE x IS NOT NULL;", fk: ["parent_id"] },
    { name: "composite partial not null", child: "CREATE TABLE child (x int, y int, FOREIGN KEY (x, y) REFERENCES parent (a, b));\nCREATE INDEX ci ON child (x, y) WHERE x IS NOT NULL AND y IS NOT NULL;", fk: ["x", "y"] },
    { name: "hash", child: "CREATE TABLE child (parent_id int REFERENCES parent (id));\nCREATE INDEX ci ON child USING hash (parent_id);", fk: ["parent_id"] },
    { name: "composite reversed", child: "CREATE TABLE child (x int, y int, FOREIGN KEY (x, y) REFERENCES parent (a, b));\nCREATE INDEX ci ON child (y, x);", fk: ["x", "y"] },
    { name: "composite partial cover", child: "CREATE TABLE child (x int, y int, FOREIGN KEY (x, y) REFERENCES parent (a, b));\nCREATE INDEX ci ON child (x);", fk: ["x", "y"] },
    { name: "primary key", child: "CREATE TABLE child (parent_id int REFERENCES parent (id), tag text, PRIMARY KEY (parent_id, tag));", fk: ["parent_id"] },
    { name: "unique", child: "CREATE TABLE child (x int, y int, UNIQUE (y, x), FOREIGN KEY (x, y) REFERENCES parent (a, b));", fk: ["x", "y"] },
    { name: "unique on a subset", child: "CREATE TABLE child (x int UNIQUE, y int, FOREIGN KEY (x, y) REFERENCES parent (a, b));", fk: ["x", "y"] },
    { name: "plain index on a subset", child: "CREATE TABLE child (x int, y int, FOREIGN KEY (x, y) REFERENCES parent (a, b));\nCREATE INDEX ci ON child (y);", fk: ["x", "y"] },
  ];

  /** True when the generic plan of the RI lookup scans an index whose leading keys are the FK columns. */
  async function plannerUsesKeyIndex(fk: string[]): Promise<boolean> {
    await db.exec("DEALLOCATE ALL; SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off;");
    const where = fk.map((c, i) => `${c} = $${i + 1}`).join(" AND ");
    await db.exec(`PREPARE ri(${fk.map(() => "int").join(", ")}) AS SELECT 1 FROM ONLY child WHERE ${where} FOR KEY SHARE OF child;`);
    const explained = await db.query<{ "QUERY PLAN": any }>(`EXPLAIN (FORMAT JSON) EXECUTE ri(${fk.map(() => "1").join(", ")})`);
    const used = new Set<string>();
    const walk = (node: any) => {
      if (node["Index Name"]) used.add(node["Index Name"]);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(explained.rows[0]["QUERY PLAN"][0].Plan);
    for (const name of used) {
      const keys = await db.query<{ attname: string }>(
        `SELECT a.attname FROM pg_index i, unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = 'child'::regclass AND a.attnum = k.attnum
          WHERE i.indexrelid = $1::regclass ORDER BY k.n`,
        [name],
      );
      const leading = keys.rows.slice(0, fk.length).map((r) => r.attname);
      if (leading.length === fk.length && fk.every((c) => leading.includes(c))) return true;
      // A unique index whose keys all lie among the FK columns returns at most one row for the lookup.
      const unique = await db.query<{ indisunique: boolean }>(`SELECT indisunique FROM pg_index WHERE indexrelid = $1::regclass`, [name]);
      if (unique.rows[0]?.indisunique && keys.rows.every((r) => fk.includes(r.attname))) return true;
    }
    return false;
  }

  it.each(cases)("$name", async ({ child, fk }) => {
    await db.exec("DROP TABLE IF EXISTS child; DROP TABLE IF EXISTS parent;");
    await db.exec(PARENT + child);
    const covered = findings(child).length === 0;
    expect(covered).toBe(await plannerUsesKeyIndex(fk));
  });
});

describe("fk-index: coverage as PostgreSQL's RI check sees it", () => {
  it("a unique index or primary key on a subset of the key's columns covers it: the check finds at most one row", () => {
    const registry = "CREATE TABLE registry (handle text, is_org boolean, PRIMARY KEY (handle, is_org));\n";
    expect(check(fkIndex, registry + "CREATE TABLE profiles (id int PRIMARY KEY, handle text UNIQUE, is_org boolean, FOREIGN KEY (handle, is_org) REFERENCES registry);")).toEqual([]);
    expect(check(fkIndex, registry + "CREATE TABLE profiles (handle text PRIMARY KEY, is_org boolean, FOREIGN KEY (handle, is_org) REFERENCES registry);")).toEqual([]);
    // A non-unique index on the same subset still leaves every row of that handle to filter.
    const plain = check(fkIndex, registry + "CREATE TABLE profiles (id int PRIMARY KEY, handle text, is_org boolean, FOREIGN KEY (handle, is_org) REFERENCES registry);\nCREATE INDEX p_handle ON profiles (handle);");
    expect(plain.map((f) => f.columns)).toEqual([["handle", "is_org"]]);
    // A unique index that also holds a column outside the key does not pin one row.
    const wider = check(fkIndex, registry + "CREATE TABLE profiles (id int PRIMARY KEY, handle text, is_org boolean, UNIQUE (handle, id), FOREIGN KEY (is_org, handle) REFERENCES registry (is_org, handle));");
    expect(wider).toHaveLength(1);
  });

  it("a NOT ENFORCED foreign key runs no check, so it needs no index", () => {
    expect(findings("CREATE TABLE child (parent_id int, FOREIGN KEY (parent_id) REFERENCES parent (id) NOT ENFORCED);")).toEqual([]);
    expect(findings("CREATE TABLE child (parent_id int REFERENCES parent (id) ON DELETE CASCADE NOT ENFORCED, other_id int REFERENCES parent (id));").map((f) => f.columns)).toEqual([["other_id"]]);
    expect(findings("CREATE TABLE child (parent_id int);\nALTER TABLE child ADD CONSTRAINT c_fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT ENFORCED;")).toEqual([]);
    // ENFORCED, and NOT VALID (still checked for new rows and parent deletes), keep the finding.
    expect(findings("CREATE TABLE child (parent_id int, FOREIGN KEY (parent_id) REFERENCES parent (id) ENFORCED);")).toHaveLength(1);
    expect(findings("CREATE TABLE child (parent_id int);\nALTER TABLE child ADD FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;")).toHaveLength(1);
  });

  it("names the schema of a referenced table outside public", () => {
    const result = check(fkIndex, "CREATE SCHEMA auth;\nCREATE TABLE auth.users (id uuid PRIMARY KEY);\nCREATE TABLE profiles (id int PRIMARY KEY, user_id uuid REFERENCES auth.users (id));");
    expect(result[0].message).toBe("Foreign key profiles(user_id) → auth.users(id) has no index on profiles(user_id), so deletes and key updates on auth.users scan profiles.");
    // A table the migrations never create (the platform's own) keeps the schema the reference names.
    const external = check(fkIndex, "CREATE TABLE profiles (id int PRIMARY KEY, user_id uuid REFERENCES auth.users (id));");
    expect(external[0].message).toContain("→ auth.users(id)");
  });
});

function pattern(table: string, kind: QueryKind, file = "src/app.ts", line = 10): AccessPattern {
  return { table, kind, predicates: [], hasOr: false, orderBy: [], limited: false, joins: [], inLoop: false, source: "sql-in-code", location: { file, line, column: 1 }, suppressions: [] };
}

describe("fk-index: severity weighs the evidence the audit has", () => {
  const CHILD_LOG = "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id) ON DELETE CASCADE, created_at timestamptz);";
  const CHILD_PLAIN = "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id) ON DELETE CASCADE, theme text);";

  it("a cascading key with no code path that deletes the parent is ROUTINE, and says so", () => {
    const [finding] = findings(CHILD_LOG);
    expect(finding.severity).toBe("routine");
    expect(finding.details!.split("\n\n")[0]).toBe(
      "ROUTINE because no code path the audit read deletes parent rows; the check runs on deletes made elsewhere (by hand, by another service).",
    );
    const inserted = findings(CHILD_LOG, { patterns: [pattern("child", "insert", "src/child.ts", 7)] });
    expect(inserted[0].details!.split("\n\n")[0]).toContain(", though the code inserts into child (src/child.ts:7) and never updates or deletes its rows, so rows accumulate.");
  });

  it("a live delete path on the parent and a growing child is IMPORTANT, naming both", () => {
    const writes = [pattern("parent", "delete", "src/admin.ts", 40), pattern("child", "insert", "src/child.ts", 7)];
    const [finding] = findings(CHILD_LOG, { patterns: writes });
    expect(finding.severity).toBe("important");
    expect(finding.details!.split("\n\n")[0]).toBe(
      "IMPORTANT because the code deletes parent rows (src/admin.ts:40), and the code inserts into child (src/child.ts:7) and never updates or deletes its rows, so rows accumulate.",
    );
    // Inserted and also updated, time column or not: as often a per-user resource as a history, so ROUTINE.
    const edited = findings(CHILD_LOG, { patterns: [...writes, pattern("child", "update", "src/child.ts", 20)] });
    expect(edited[0].severity).toBe("routine");
    // Inserted and never updated: an append-only shape, time column or not.
    const appended = findings(CHILD_PLAIN, { patterns: [pattern("parent", "delete"), pattern("child", "insert", "src/child.ts", 7)] });
    expect(appended[0].severity).toBe("important");
    expect(appended[0].details).toContain("the code inserts into child (src/child.ts:7) and never updates or deletes its rows, so rows accumulate");
  });

  it("a time column alone, or an insert path into a table the code also updates with no time column, is not growth: ROUTINE", () => {
    expect(findings(CHILD_LOG, { patterns: [pattern("parent", "delete")] })[0].severity).toBe("routine");
    const edited = findings(CHILD_PLAIN, { patterns: [pattern("parent", "delete"), pattern("child", "insert"), pattern("child", "update")] });
    expect(edited[0].severity).toBe("routine");
  });

  it("a settings table does not grow with inserts: ROUTINE, saying why", () => {
    const writes = [pattern("parent", "delete", "src/admin.ts", 40), pattern("site_settings", "insert", "src/s.ts", 3)];
    const settings = findings("CREATE TABLE site_settings (id int PRIMARY KEY, parent_id int REFERENCES parent (id) ON DELETE CASCADE, created_at timestamptz);", { patterns: writes });
    expect(settings[0].severity).toBe("routine");
    expect(settings[0].details).toContain("site_settings is a settings or configuration table");
    // A size hint still decides.
    expect(findings("CREATE TABLE site_settings (id int PRIMARY KEY, parent_id int REFERENCES parent (id) ON DELETE CASCADE);", { patterns: writes, config: { tables: { site_settings: { rows: 500_000 } } } })[0].severity).toBe("important");
  });

  it("a delete path on a child that shows no growth (a settings-like table) is ROUTINE", () => {
    const [finding] = findings(CHILD_PLAIN, { patterns: [pattern("parent", "delete")] });
    expect(finding.severity).toBe("routine");
    expect(finding.details).toContain("but nothing shows child growing");
    // Updates of the parent are not counted: the check runs on an update only when the key changes.
    expect(findings(CHILD_LOG, { patterns: [pattern("parent", "update")] })[0].severity).toBe("routine");
  });

  it("follows cascades: deleting the grandparent deletes the parent rows", () => {
    const sql = "CREATE TABLE org (id int PRIMARY KEY);\nALTER TABLE parent ADD COLUMN org_id int REFERENCES org (id) ON DELETE CASCADE;\nCREATE INDEX p_org ON parent (org_id);\n" + CHILD_LOG;
    const [finding] = findings(sql, { patterns: [pattern("org", "delete", "src/orgs.ts", 3), pattern("child", "insert")] });
    expect(finding.severity).toBe("important");
    expect(finding.details).toContain("the code deletes org rows (src/orgs.ts:3), which cascades to parent");
  });

  it("NOTED when the code deletes other tables' rows but never the parent's: the check never runs on a request path", () => {
    const code = [pattern("other", "delete", "src/other.ts", 5), pattern("child", "insert", "src/child.ts", 7)];
    const [finding] = findings(CHILD_LOG, { patterns: code });
    expect(finding.severity).toBe("noted");
    expect(finding.details!.split("\n\n")[0]).toBe(
      "NOTED because no code path the audit read deletes parent rows (it deletes rows of other tables), and an update runs the check only when it changes parent's key, so the check never runs on a request path: only a delete by hand or by another service would run it.",
    );
    // A size hint saying the child is large keeps it: a delete by hand then scans many rows.
    expect(findings(CHILD_LOG, { patterns: code, config: { tables: { child: { rows: 250_000 } } } })[0].severity).toBe("important");
    // A parent the migrations do not create (the platform's users) is deleted where the audit cannot see.
    const external = check(fkIndex, "CREATE TABLE child (id int PRIMARY KEY, user_id uuid REFERENCES auth.users (id));", { patterns: code });
    expect(external[0].severity).toBe("routine");
  });

  it("NOTED when the code deletes the parent but never queries the child at all, though it inserts elsewhere", () => {
    const code = [pattern("parent", "delete", "src/admin.ts", 40), pattern("other", "insert", "src/other.ts", 3)];
    const [finding] = findings(CHILD_LOG, { patterns: code });
    expect(finding.severity).toBe("noted");
    expect(finding.details!.split("\n\n")[0]).toContain(
      "NOTED because the code deletes parent rows (src/admin.ts:40), but the code the audit read never queries child, neither inserting into it nor reading it, while it inserts into other tables",
    );
    expect(findings(CHILD_LOG, { patterns: code, config: { tables: { child: { rows: 250_000 } } } })[0].severity).toBe("important");
    // A child the code reads is filled somewhere (a trigger, another service): ROUTINE as before.
    expect(findings(CHILD_LOG, { patterns: [...code, pattern("child", "select")] })[0].severity).toBe("routine");
    // With no insert read anywhere, "never" says nothing about the code: ROUTINE as before.
    expect(findings(CHILD_LOG, { patterns: [pattern("parent", "delete")] })[0].severity).toBe("routine");
    // An auth library's adapter fills its sessions table without the application's code.
    const sessions = findings("CREATE TABLE sessions (id int PRIMARY KEY, parent_id int REFERENCES parent (id) ON DELETE CASCADE, expires timestamptz);", { patterns: code });
    expect(sessions[0].severity).toBe("routine");
  });

  it("size hints: large with a key that writes through is IMPORTANT; a plain key on a large table and any small table stay ROUTINE", () => {
    const large = findings(CHILD_PLAIN, { config: { tables: { child: { rows: 250_000 } } } });
    expect(large[0].severity).toBe("important");
    expect(large[0].details).toContain("child is expected to hold 250,000 rows (size hint), and ON DELETE CASCADE writes through");
    const plainLarge = findings("CREATE TABLE child (parent_id int REFERENCES parent (id));", { config: { tables: { child: { rows: 250_000 } } } });
    expect(plainLarge[0].severity).toBe("routine");
    const small = findings(CHILD_LOG, { patterns: [pattern("parent", "delete")], config: { tables: { "public.child": { rows: 5_000 } } } });
    expect(small[0].severity).toBe("routine");
    expect(small[0].details).toContain("the size hint says child holds about 5,000 rows");
  });
});

describe("fk-index: a parent whose deletes a rule turns into updates", () => {
  const SOFT = "ALTER TABLE parent ADD COLUMN deleted boolean DEFAULT false;\nCREATE RULE soft_delete AS ON DELETE TO parent DO INSTEAD UPDATE parent SET deleted = true WHERE id = old.id;\n";

  it("runs no check or cascade on delete: no finding", () => {
    expect(findings(SOFT + "CREATE TABLE child (parent_id int REFERENCES parent (id) ON DELETE CASCADE);")).toEqual([]);
    expect(findings(SOFT + "CREATE TABLE child (parent_id int REFERENCES parent (id));", { patterns: [pattern("parent", "delete")] })).toEqual([]);
    // DO INSTEAD NOTHING also leaves every row in place.
    expect(findings("CREATE RULE keep AS ON DELETE TO parent DO INSTEAD NOTHING;\nCREATE TABLE child (parent_id int REFERENCES parent (id));")).toEqual([]);
  });

  it("still reports key updates a key writes through", () => {
    const result = findings(SOFT + "CREATE TABLE child (parent_id int REFERENCES parent (id) ON DELETE CASCADE ON UPDATE CASCADE);");
    expect(result).toHaveLength(1);
    expect(result[0].severity).toBe("routine");
    expect(result[0].details).toContain("Deletes on public.parent never run: the rule at migrations/001_init.sql:3 turns each into an UPDATE.");
  });

  it("counts only a rule still in place, without a condition", () => {
    const dropped = [
      { path: "m/001.sql", sql: PARENT + SOFT + "CREATE TABLE child (parent_id int REFERENCES parent (id));" },
      { path: "m/002.sql", sql: "DROP RULE soft_delete ON parent;" },
    ];
    expect(check(fkIndex, dropped)).toHaveLength(1);
    const conditional = "CREATE RULE r AS ON DELETE TO parent WHERE old.a > 0 DO INSTEAD NOTHING;\nCREATE TABLE child (parent_id int REFERENCES parent (id));";
    expect(findings(conditional)).toHaveLength(1);
    const alsoDeletes = "CREATE RULE r AS ON DELETE TO parent DO INSTEAD DELETE FROM parent WHERE id = old.id;\nCREATE TABLE child (parent_id int REFERENCES parent (id));";
    expect(findings(alsoDeletes)).toHaveLength(1);
  });
});

describe("fk-index: table inheritance", () => {
  it("a key on an inheritance parent is NOTED: the check reads only the parent's own rows", () => {
    const sql =
      "CREATE TABLE events (id int, parent_id int REFERENCES parent (id) ON DELETE CASCADE, created_at timestamptz);\n" +
      "CREATE TABLE events_2024 () INHERITS (events);\nCREATE TABLE events_2025 () INHERITS (events);";
    const result = findings(sql, { patterns: [pattern("parent", "delete")] });
    expect(result.map((f) => [f.table, f.severity])).toEqual([["public.events", "noted"]]);
    expect(result[0].details).toContain("events is an inheritance parent (of events_2024, events_2025)");
  });

  it("PostgreSQL agrees: INHERITS children do not get the parent's foreign key, and deleting a referenced row checks only the parent's own rows", async () => {
    const db = await startPGlite();
    await db.exec(PARENT + "INSERT INTO parent VALUES (1, 1, 1);\nCREATE TABLE events (id int, parent_id int REFERENCES parent (id));\nCREATE TABLE events_2024 () INHERITS (events);");
    await db.exec("INSERT INTO events_2024 VALUES (1, 1), (2, 999);");
    await db.exec("DELETE FROM parent WHERE id = 1;");
    expect((await db.query("SELECT count(*)::int AS n FROM events")).rows).toEqual([{ n: 2 }]);
    await db.close();
  });

  it("a key declared on an INHERITS child is checked against the child's rows like any table", () => {
    const sql = "CREATE TABLE events (id int, created_at timestamptz);\nCREATE TABLE events_2024 (parent_id int REFERENCES parent (id) ON DELETE CASCADE) INHERITS (events);";
    const result = findings(sql, { patterns: [pattern("parent", "delete"), pattern("events_2024", "insert")] });
    expect(result.map((f) => [f.table, f.severity])).toEqual([["public.events_2024", "important"]]);
  });
});

describe("an auth library's sessions table under the jwt session strategy", () => {
  const SQL =
    'CREATE TABLE users (id text PRIMARY KEY);\nCREATE TABLE "Session" (id text PRIMARY KEY, session_token text UNIQUE, user_id text REFERENCES users (id) ON DELETE CASCADE, expires timestamptz);';
  const deleteUser: AccessPattern = { table: "users", kind: "delete", predicates: [{ column: "id", op: "eq", sentAs: "param" }], hasOr: false, orderBy: [], limited: false, joins: [], inLoop: false, source: "sql-in-code", location: { file: "src/account.ts", line: 9, column: 1 }, suppressions: [] };
  const jwtConfig = 'import NextAuth from "next-auth";\nexport const options = {\n  adapter: PrismaAdapter(prisma),\n  session: {\n    strategy: "jwt",\n    maxAge: 86400,\n  },\n};\n';

  it("reads `session: { strategy: \"jwt\" }` from the auth configuration, with its line", () => {
    expect(jwtSessionStrategy("src/server/auth.ts", jwtConfig)).toEqual({ file: "src/server/auth.ts", line: 5, column: 5 });
    expect(jwtSessionStrategy("src/server/auth.ts", jwtConfig.replace('"jwt"', '"database"'))).toBeNull();
  });

  it("is NOTED with the reason when the configuration keeps sessions in a cookie, and ROUTINE without it", () => {
    const input = buildInput([{ path: "m/001_init.sql", sql: SQL }], { patterns: [deleteUser] });
    const withJwt = fkIndex.check({ ...contextOf(input), codeFacts: { jwtSessions: { file: "src/server/auth.ts", line: 5, column: 5 } } });
    expect(withJwt).toHaveLength(1);
    expect(withJwt[0].severity).toBe("noted");
    expect(withJwt[0].details).toContain('sets `session: { strategy: "jwt" }` (src/server/auth.ts:5), so sessions live in a cookie');
    const without = fkIndex.check(contextOf(input));
    expect(without[0].severity).toBe("routine");
  });

  it("is not NOTED when the code itself inserts sessions", () => {
    const insert: AccessPattern = { ...deleteUser, table: "Session", kind: "insert", predicates: [] };
    const input = buildInput([{ path: "m/001_init.sql", sql: SQL }], { patterns: [deleteUser, insert] });
    const found = fkIndex.check({ ...contextOf(input), codeFacts: { jwtSessions: { file: "src/server/auth.ts", line: 5, column: 5 } } });
    expect(found[0].severity).not.toBe("noted");
  });
});
