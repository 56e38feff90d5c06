import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { missingPrimaryKey } from "../../src/rules/missing-primary-key.js";
import { check } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
});
afterAll(() => db.close());

describe("missing-primary-key", () => {
  it("reports a table with no primary key at the table's line, routine", () => {
    const result = check(missingPrimaryKey, "CREATE TABLE ok (id int PRIMARY KEY);\n\nCREATE TABLE audit_trail (at timestamptz, what text);");
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ rule: "missing-primary-key", severity: "routine", table: "public.audit_trail", message: "Table audit_trail has no primary key." });
    expect(result[0].location.line).toBe(3);
    expect(result[0].fix).toBeUndefined();
    expect(result[0].details).toContain("GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
  });

  it("sees a primary key added by a later ALTER TABLE, and exempts partitions of a keyed parent", () => {
    expect(check(missingPrimaryKey, "CREATE TABLE t (id int NOT NULL);\nALTER TABLE t ADD PRIMARY KEY (id);")).toEqual([]);
    const partitioned = "CREATE TABLE ev (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\nCREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
    expect(check(missingPrimaryKey, partitioned)).toEqual([]);
  });

  it("suggests promoting a unique index on NOT NULL columns, and that fix runs", async () => {
    const sql = "CREATE TABLE members (org_id int NOT NULL, user_id int NOT NULL, role text);\nCREATE UNIQUE INDEX members_org_user ON members (org_id, user_id);";
    const result = check(missingPrimaryKey, sql);
    expect(result[0].fix?.sql).toBe("ALTER TABLE members ADD CONSTRAINT members_pkey PRIMARY KEY USING INDEX members_org_user;");
    await db.exec(sql);
    await db.exec(result[0].fix!.sql);
    const pk = await db.query<{ conname: string }>("SELECT conname FROM pg_constraint WHERE conrelid = 'members'::regclass AND contype = 'p'");
    expect(pk.rows).toEqual([{ conname: "members_pkey" }]);
    // A unique index over a nullable column cannot become the key.
    expect(check(missingPrimaryKey, "CREATE TABLE m2 (a int, b int NOT NULL);\nCREATE UNIQUE INDEX m2_ab ON m2 (a, b);")[0].fix).toBeUndefined();
  });

  it("prefers an index no constraint owns, then the fewest columns", () => {
    const sql = [
      "CREATE TABLE tokens (identifier text NOT NULL, token text NOT NULL, expires timestamptz NOT NULL, CONSTRAINT tokens_identifier_unique UNIQUE (identifier));",
      "CREATE UNIQUE INDEX tokens_identifier_token_key ON tokens (identifier, token);",
      "CREATE UNIQUE INDEX tokens_token_key ON tokens (token);",
    ].join("\n");
    expect(check(missingPrimaryKey, sql)[0].fix?.sql).toBe("ALTER TABLE tokens ADD CONSTRAINT tokens_pkey PRIMARY KEY USING INDEX tokens_token_key;");
  });

  it("prefers the key foreign keys reference, then one with an id column, over other unique keys, and that fix runs", async () => {
    // A media table whose id is unique only within a project: other tables reference (project_id, id).
    const sql = [
      "CREATE TABLE media (id text NOT NULL, project_id text NOT NULL, sha_256_hash char(44) NOT NULL, bucket_path text NOT NULL);",
      "CREATE UNIQUE INDEX media_project_id_sha_256_hash_key ON media (project_id, sha_256_hash);",
      "CREATE UNIQUE INDEX media_bucket_path_key ON media (bucket_path);",
      "CREATE UNIQUE INDEX media_project_id_id_key ON media (project_id, id);",
      "CREATE TABLE trace_media (id text PRIMARY KEY, project_id text NOT NULL, media_id text NOT NULL, FOREIGN KEY (project_id, media_id) REFERENCES media (project_id, id));",
    ].join("\n");
    const result = check(missingPrimaryKey, sql);
    expect(result[0].fix?.sql).toBe("ALTER TABLE media ADD CONSTRAINT media_pkey PRIMARY KEY USING INDEX media_project_id_id_key;");
    await db.exec(sql);
    await db.exec(result[0].fix!.sql);
    const pk = await db.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'media'::regclass AND contype = 'p'");
    expect(pk.rows).toEqual([{ def: "PRIMARY KEY (project_id, id)" }]);
    // Without a referencing key, a key with an id column still comes before a narrower one without it.
    const unreferenced = sql.split("\n").slice(0, 4).join("\n");
    expect(check(missingPrimaryKey, unreferenced)[0].fix?.sql).toBe("ALTER TABLE media ADD CONSTRAINT media_pkey PRIMARY KEY USING INDEX media_project_id_id_key;");
  });

  it("replaces a UNIQUE constraint, whose index PostgreSQL does not let a key take over, and that fix runs", async () => {
    const sql = "CREATE TABLE settings (project_id uuid NOT NULL, theme text, CONSTRAINT settings_project_id_unique UNIQUE (project_id));";
    const result = check(missingPrimaryKey, sql);
    expect(result[0].fix?.sql).toBe("ALTER TABLE settings DROP CONSTRAINT settings_project_id_unique, ADD CONSTRAINT settings_pkey PRIMARY KEY (project_id);");
    expect(result[0].details).toContain("does not let a primary key take over");
    await db.exec(sql);
    // What the rule no longer writes: PostgreSQL refuses USING INDEX on a constraint's index.
    await expect(db.exec("ALTER TABLE settings ADD CONSTRAINT settings_pkey PRIMARY KEY USING INDEX settings_project_id_unique")).rejects.toThrow(/already associated with a constraint/);
    await db.exec(result[0].fix!.sql);
    const keys = await db.query<{ conname: string; contype: string }>("SELECT conname, contype FROM pg_constraint WHERE conrelid = 'settings'::regclass AND contype IN ('p', 'u')");
    expect(keys.rows).toEqual([{ conname: "settings_pkey", contype: "p" }]);
  });

  it("keeps a UNIQUE constraint that foreign keys reference, and that fix runs", async () => {
    const sql = "CREATE TABLE handles (handle text NOT NULL, CONSTRAINT handles_handle_unique UNIQUE (handle));\nCREATE TABLE mentions (handle text REFERENCES handles (handle));";
    const result = check(missingPrimaryKey, sql).filter((f) => f.table === "public.handles");
    expect(result[0].fix?.sql).toBe("ALTER TABLE handles ADD CONSTRAINT handles_pkey PRIMARY KEY (handle);");
    expect(result[0].details).toContain("mentions.mentions_handle_fkey");
    await db.exec(sql);
    await db.exec(result[0].fix!.sql);
    const keys = await db.query<{ contype: string }>("SELECT contype FROM pg_constraint WHERE conrelid = 'handles'::regclass AND contype IN ('p', 'u') ORDER BY contype");
    expect(keys.rows).toEqual([{ contype: "p" }, { contype: "u" }]);
  });
});
