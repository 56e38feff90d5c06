import { beforeAll, describe, expect, it } from "vitest";
import { schemaDump } from "../../src/schema/dump.js";
import { findIndex, findTable, indexColumns, parseQualifiedName } from "../../src/schema/lookup.js";
import { initParser, replaySql } from "./helpers.js";

beforeAll(async () => {
  await initParser();
});

describe("schemaDump", () => {
  it("gives the documented JSON shape, every index included", () => {
    const dump = schemaDump(
      replaySql(`
        create table orgs (id uuid primary key, slug text unique);
        create table calls (
          id bigint primary key,
          org_id uuid not null references orgs on delete cascade,
          token text,
          status text
        );
        create index calls_token_idx on calls (token) where token is not null and status = 'accepted';
        create index on calls (lower(status), org_id);`),
    );
    expect(JSON.parse(JSON.stringify(dump))).toEqual({
      tables: [
        {
          schema: "public",
          name: "orgs",
          columns: [
            { name: "id", type: "uuid", nullable: false },
            { name: "slug", type: "text", nullable: true },
          ],
          primaryKey: { name: "orgs_pkey", columns: ["id"] },
          indexes: [
            { name: "orgs_pkey", columns: ["id"], unique: true, method: "btree", where: null, constraint: "primary" },
            { name: "orgs_slug_key", columns: ["slug"], unique: true, method: "btree", where: null, constraint: "unique" },
          ],
          foreignKeys: [],
          location: { file: "migration.sql", line: 2, column: 9 },
        },
        {
          schema: "public",
          name: "calls",
          columns: [
            { name: "id", type: "bigint", nullable: false },
            { name: "org_id", type: "uuid", nullable: false },
            { name: "token", type: "text", nullable: true },
            { name: "status", type: "text", nullable: true },
          ],
          primaryKey: { name: "calls_pkey", columns: ["id"] },
          indexes: [
            { name: "calls_pkey", columns: ["id"], unique: true, method: "btree", where: null, constraint: "primary" },
            {
              name: "calls_token_idx",
              columns: ["token"],
              unique: false,
              method: "btree",
              where: "token IS NOT NULL AND status = 'accepted'",
              constraint: null,
            },
            { name: "calls_lower_org_id_idx", columns: ["lower(status)", "org_id"], unique: false, method: "btree", where: null, constraint: null },
          ],
          foreignKeys: [
            {
              name: "calls_org_id_fkey",
              columns: ["org_id"],
              references: { schema: "public", table: "orgs", columns: ["id"] },
              onDelete: "cascade",
            },
          ],
          location: { file: "migration.sql", line: 3, column: 9 },
        },
      ],
      views: [],
    });
  });

  it("lists views with the table each reads, or why it cannot be seen through", () => {
    const dump = schemaDump(
      replaySql(`create table calls (id bigint primary key, status text, org_id int);
create view open_calls (call_id, status) with (security_invoker) as select id, status from calls where status = 'open';
create view per_org as select org_id, count(*) from calls group by org_id;
create materialized view org_ids as select distinct org_id from calls;
alter view per_org set (security_invoker = true);
alter view open_calls reset (security_invoker);`),
    );
    expect(dump.tables.map((t) => [t.name, t.columns.map((c) => `${c.name} ${c.type}`)])).toEqual([
      ["calls", ["id bigint", "status text", "org_id integer"]],
      ["org_ids", ["org_id integer"]],
    ]);
    expect(JSON.parse(JSON.stringify(dump.views))).toEqual([
      {
        schema: "public",
        name: "open_calls",
        columns: [
          { name: "call_id", type: "bigint", baseColumn: "id" },
          { name: "status", type: "text", baseColumn: "status" },
        ],
        base: { schema: "public", table: "calls", where: "status = 'open'" },
        unresolved: null,
        securityInvoker: false,
        location: { file: "migration.sql", line: 2, column: 1 },
      },
      {
        schema: "public",
        name: "per_org",
        columns: [
          { name: "org_id", type: "integer", baseColumn: null },
          { name: "count", type: "bigint", baseColumn: null },
        ],
        base: null,
        unresolved: "GROUP BY",
        securityInvoker: true,
        location: { file: "migration.sql", line: 3, column: 1 },
      },
    ]);
  });
});

describe("lookup", () => {
  const schema = () =>
    replaySql(`
      create schema app;
      create table app.users (id int primary key);
      create table "Visit" (id int);
      create table users (id int);
      create index users_id on users (id)`);

  it("finds tables by plain, qualified and quoted names", () => {
    const s = schema();
    expect(findTable(s, "users")?.schema).toBe("public");
    expect(findTable(s, "app.users")?.schema).toBe("app");
    expect(findTable(s, '"app"."users"')?.schema).toBe("app");
    expect(findTable(s, "users", "app")?.schema).toBe("app");
    expect(findTable(s, '"Visit"')?.name).toBe("Visit");
    expect(findTable(s, "Visit")).toBeUndefined();
    expect(findTable(s, "nope")).toBeUndefined();
  });

  it("splits qualified names as the server reads them", () => {
    expect(parseQualifiedName('"My Schema"."My ""T"""')).toEqual({ schema: "My Schema", name: 'My "T"' });
    expect(parseQualifiedName("Public.Users")).toEqual({ schema: "public", name: "users" });
    expect(parseQualifiedName("t")).toEqual({ schema: null, name: "t" });
  });

  it("finds indexes by name and lists their key columns", () => {
    const s = schema();
    const found = findIndex(s, "users_id");
    expect(found?.table.name).toBe("users");
    expect(indexColumns(found!.index)).toEqual(["id"]);
    expect(findIndex(s, "app.users_pkey")?.table.schema).toBe("app");
  });
});
