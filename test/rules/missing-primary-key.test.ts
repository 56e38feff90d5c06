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
});
