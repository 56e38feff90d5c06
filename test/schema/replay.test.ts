// Schema replay, one statement kind at a time.
import { beforeAll, describe, expect, it } from "vitest";
import type { Schema, Statement } from "../../src/core/types.js";
import { findIndex, findTable, indexColumns } from "../../src/schema/lookup.js";
import { replaySchema } from "../../src/schema/replay.js";
import { filesToStatements, initParser, replaySql, sqlToStatements } from "./helpers.js";

beforeAll(async () => {
  await initParser();
});

function table(schema: Schema, name: string) {
  const found = findTable(schema, name);
  if (!found) throw new Error(`no table ${name} in ${schema.tables.map((t) => `${t.schema}.${t.name}`).join(", ")}`);
  return found;
}

function indexNames(schema: Schema, name: string): string[] {
  return table(schema, name).indexes.map((i) => i.name);
}

describe("CREATE TABLE", () => {
  it("records columns with the types PostgreSQL prints and their nullability", () => {
    const schema = replaySql(`
      create table orders (
        id serial primary key,
        big bigserial,
        ident int generated always as identity,
        email varchar(255) not null,
        note text,
        placed_at timestamptz default now(),
        local_at timestamp,
        ref uuid,
        amount numeric(10,2),
        tags text[]
      )`);
    const orders = table(schema, "orders");
    expect(orders.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ["id", "integer", false],
      ["big", "bigint", false],
      ["ident", "integer", false],
      ["email", "character varying(255)", false],
      ["note", "text", true],
      ["placed_at", "timestamp with time zone", true],
      ["local_at", "timestamp without time zone", true],
      ["ref", "uuid", true],
      ["amount", "numeric(10,2)", true],
      ["tags", "text[]", true],
    ]);
  });

  it("names inline and table-level keys the way PostgreSQL does", () => {
    const schema = replaySql(`
      create table products (id int primary key, sku text unique);
      create table orders (id int, primary key (id));
      create table order_items (
        order_id int references orders on delete cascade,
        product_id int,
        foreign key (product_id) references products (id) on delete set null on update cascade
      )`);
    expect(table(schema, "orders").primaryKey).toEqual({ name: "orders_pkey", columns: ["id"] });
    expect(indexNames(schema, "products")).toEqual(["products_pkey", "products_sku_key"]);
    const items = table(schema, "order_items");
    expect(items.foreignKeys.map((fk) => [fk.name, fk.columns, fk.references, fk.onDelete, fk.onUpdate])).toEqual([
      ["order_items_order_id_fkey", ["order_id"], { schema: "public", table: "orders", columns: ["id"] }, "cascade", "no action"],
      ["order_items_product_id_fkey", ["product_id"], { schema: "public", table: "products", columns: ["id"] }, "set null", "cascade"],
    ]);
  });

  it("keeps composite foreign keys in column order", () => {
    const schema = replaySql(`
      create table projects (org_id int, number int, primary key (org_id, number));
      create table tasks (org_id int, project_number int,
        constraint tasks_project_fk foreign key (org_id, project_number) references projects on delete restrict)`);
    const [fk] = table(schema, "tasks").foreignKeys;
    expect(fk).toMatchObject({
      name: "tasks_project_fk",
      columns: ["org_id", "project_number"],
      references: { table: "projects", columns: ["org_id", "number"] },
      onDelete: "restrict",
    });
  });

  it("keeps foreign keys to tables the migrations never created", () => {
    const schema = replaySql(`create table profiles (id uuid primary key references auth.users on delete cascade)`);
    expect(table(schema, "profiles").foreignKeys[0]).toMatchObject({
      name: "profiles_id_fkey",
      references: { schema: "auth", table: "users", columns: [] },
      onDelete: "cascade",
    });
  });

  it("names CHECK and NOT NULL constraints so later statements can drop them", () => {
    const schema = replaySql(`
      create table t (a int check (a > 0), b int not null, c int, check (b > c), constraint named check (c < 10))`);
    expect([...table(schema, "t").checkConstraints].sort()).toEqual(["named", "t_a_check", "t_b_not_null", "t_check"]);
  });

  it("merges a UNIQUE on the primary key columns into the primary key, and repeated UNIQUEs into one", () => {
    const schema = replaySql(`create table t (id int primary key unique, a int unique, unique (a))`);
    expect(indexNames(schema, "t")).toEqual(["t_pkey", "t_a_key"]);
  });

  it("skips CREATE TABLE IF NOT EXISTS when the table exists", () => {
    const schema = replaySql(`
      create table t (id int primary key);
      create table if not exists t (other text)`);
    expect(table(schema, "t").columns.map((c) => c.name)).toEqual(["id"]);
  });

  it("records PARTITION BY and gives partitions the parent's indexes under their own names", () => {
    const schema = replaySql(`
      create table m (id bigint, at timestamptz, tenant int, primary key (id, at)) partition by range (at);
      create index on m (tenant);
      create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01')`);
    expect(table(schema, "m").partitionBy).toBe("RANGE (at)");
    const partition = table(schema, "m_2025");
    expect(partition.partitionOf).toEqual({ schema: "public", table: "m" });
    expect(partition.columns.map((c) => c.name)).toEqual(["id", "at", "tenant"]);
    expect(partition.indexes.map((i) => [i.name, i.constraint])).toEqual([
      ["m_2025_pkey", "primary"],
      ["m_2025_tenant_idx", null],
    ]);
    expect(partition.primaryKey).toEqual({ name: "m_2025_pkey", columns: ["id", "at"] });
  });

  it("copies indexes and constraints with LIKE only when asked", () => {
    const schema = replaySql(`
      create table src (id int primary key, code text unique check (code <> ''), n int not null);
      create index on src (lower(code));
      create table all_copy (like src including all);
      create table plain_copy (like src)`);
    expect(indexNames(schema, "all_copy")).toEqual(["all_copy_pkey", "all_copy_code_key", "all_copy_lower_idx"]);
    expect(table(schema, "all_copy").checkConstraints).toContain("src_code_check");
    expect(indexNames(schema, "plain_copy")).toEqual([]);
    expect(table(schema, "plain_copy").columns.map((c) => [c.name, c.nullable])).toEqual([
      ["id", false],
      ["code", true],
      ["n", false],
    ]);
  });
});

describe("ALTER TABLE", () => {
  it("adds columns with their inline constraints", () => {
    const schema = replaySql(`
      create table t (id int primary key);
      alter table t add column code text unique, add column parent_id int references t on delete cascade;
      alter table t add column if not exists code int`);
    const t = table(schema, "t");
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([
      ["id", "integer"],
      ["code", "text"],
      ["parent_id", "integer"],
    ]);
    expect(indexNames(schema, "t")).toEqual(["t_pkey", "t_code_key"]);
    expect(t.foreignKeys[0]).toMatchObject({ name: "t_parent_id_fkey", onDelete: "cascade", references: { columns: ["id"] } });
  });

  it("drops a column with every index and constraint built on it", () => {
    const schema = replaySql(`
      create table s (id int primary key, code text unique);
      create table t (id int primary key, sku text, price int, hidden bool, s_code text references s (code), unique (sku, price));
      create index on t (lower(sku));
      create index on t (price) where hidden;
      create index on t (id) include (sku);
      create index t_price on t (price);
      alter table t drop column sku;
      alter table t drop column hidden;
      alter table s drop column code cascade`);
    expect(indexNames(schema, "t")).toEqual(["t_pkey", "t_price"]);
    expect(table(schema, "t").foreignKeys).toEqual([]);
    expect(indexNames(schema, "s")).toEqual(["s_pkey"]);
  });

  it("renames a column everywhere it is used, expressions and predicates included", () => {
    const schema = replaySql(`
      create table p (id int primary key);
      create table t (id int primary key, p_id int references p, email text);
      create index t_email on t (lower(email)) where email is not null;
      create index t_pair on t (p_id, email);
      alter table t rename column email to address;
      alter table p rename column id to pid`);
    const t = table(schema, "t");
    const email = t.indexes.find((i) => i.name === "t_email")!;
    expect(email.keys[0].expression).toBe("lower(address)");
    expect(email.where).toBe("address IS NOT NULL");
    expect(indexColumns(t.indexes.find((i) => i.name === "t_pair")!)).toEqual(["p_id", "address"]);
    expect(t.foreignKeys[0].references.columns).toEqual(["pid"]);
    expect(table(schema, "p").primaryKey).toEqual({ name: "p_pkey", columns: ["pid"] });
  });

  it("changes column types and nullability", () => {
    const schema = replaySql(`
      create table t (a int, b text not null, c int);
      alter table t alter column a type bigint, alter column b drop not null;
      alter table t alter column c set not null;
      alter table t alter column b type varchar(20) using b::varchar(20)`);
    expect(table(schema, "t").columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ["a", "bigint", true],
      ["b", "character varying(20)", true],
      ["c", "integer", false],
    ]);
  });

  it("adds, renames and drops constraints, renaming the index behind a renamed unique constraint", () => {
    const schema = replaySql(`
      create table t (id int, code text, parent_id int);
      alter table t add primary key (id);
      alter table t add unique (code);
      alter table t add constraint t_parent foreign key (parent_id) references t;
      alter table t rename constraint t_code_key to t_code_unique;
      alter table t drop constraint t_parent;
      alter table t add check (id > 0);
      alter table t drop constraint t_id_check`);
    const t = table(schema, "t");
    expect(indexNames(schema, "t")).toEqual(["t_pkey", "t_code_unique"]);
    expect(t.indexes[1].constraint).toBe("unique");
    expect(t.foreignKeys).toEqual([]);
    expect(t.checkConstraints).not.toContain("t_id_check");
  });

  it("turns an index into a constraint with USING INDEX, taking the constraint's name", () => {
    const schema = replaySql(`
      create table t (id int not null, email text);
      create unique index concurrently t_id_idx on t (id);
      alter table t add constraint t_pkey primary key using index t_id_idx;
      create unique index t_email_idx on t (email);
      alter table t add unique using index t_email_idx`);
    const t = table(schema, "t");
    expect(t.primaryKey).toEqual({ name: "t_pkey", columns: ["id"] });
    expect(t.indexes.map((i) => [i.name, i.constraint])).toEqual([
      ["t_pkey", "primary"],
      ["t_email_idx", "unique"],
    ]);
  });

  it("tracks NOT VALID foreign keys until VALIDATE CONSTRAINT", () => {
    const before = replaySql(`
      create table p (id int primary key);
      create table c (p_id int);
      alter table c add constraint c_p_fk foreign key (p_id) references p not valid`);
    expect(table(before, "c").foreignKeys[0].notValid).toBe(true);
    const after = replaySql(`
      create table p (id int primary key);
      create table c (p_id int);
      alter table c add constraint c_p_fk foreign key (p_id) references p not valid;
      alter table c validate constraint c_p_fk`);
    expect(table(after, "c").foreignKeys[0].notValid).toBe(false);
  });

  it("leaves partitions alone with ALTER TABLE ONLY and CREATE INDEX ON ONLY", () => {
    const schema = replaySql(`
      create table m (id int, at date) partition by range (at);
      create table m1 partition of m for values from ('2025-01-01') to ('2026-01-01');
      create index m_at_only on only m (at);
      alter table only m add constraint m_id_check check (id > 0);
      create index on m (id)`);
    expect(indexNames(schema, "m")).toEqual(["m_at_only", "m_id_idx"]);
    expect(indexNames(schema, "m1")).toEqual(["m1_id_idx"]);
  });

  it("renames tables without renaming their indexes, and foreign keys follow", () => {
    const schema = replaySql(`
      create table old (id int primary key);
      create table c (old_id int references old);
      alter table old rename to fresh`);
    expect(findTable(schema, "old")).toBeUndefined();
    expect(indexNames(schema, "fresh")).toEqual(["old_pkey"]);
    expect(table(schema, "c").foreignKeys[0].references.table).toBe("fresh");
  });

  it("moves a table and its indexes with SET SCHEMA", () => {
    const schema = replaySql(`
      create schema archive;
      create table t (id int primary key);
      create table c (t_id int references t);
      alter table t set schema archive;
      alter index archive.t_pkey rename to t_pk`);
    expect(findTable(schema, "t")).toBeUndefined();
    expect(findTable(schema, "archive.t")?.indexes.map((i) => i.name)).toEqual(["t_pk"]);
    expect(table(schema, "c").foreignKeys[0].references).toEqual({ schema: "archive", table: "t", columns: ["id"] });
  });
});

describe("DROP TABLE", () => {
  it("removes the table and, with CASCADE, the foreign keys pointing at it", () => {
    const schema = replaySql(`
      create table a (id int primary key);
      create table b (id int primary key, a_id int references a);
      drop table a cascade;
      drop table if exists never_created`);
    expect(findTable(schema, "a")).toBeUndefined();
    expect(table(schema, "b").foreignKeys).toEqual([]);
  });

  it("frees the dropped table's names for what comes next", () => {
    const schema = replaySql(`
      create table a (id int primary key);
      create index on a (id);
      drop table a;
      create table a (id int primary key);
      create index on a (id)`);
    expect(indexNames(schema, "a")).toEqual(["a_pkey", "a_id_idx"]);
  });
});

describe("CREATE INDEX", () => {
  it("records every part of the definition", () => {
    const schema = replaySql(`
      create table t (a int, b text, c jsonb, d timestamptz, e text);
      create unique index concurrently if not exists t_full on t using btree
        (a desc, lower(b) text_pattern_ops, e collate "C" nulls first) include (d) nulls not distinct where a > 0 and b is not null`);
    const [index] = table(schema, "t").indexes;
    expect(index).toMatchObject({
      name: "t_full",
      unique: true,
      method: "btree",
      include: ["d"],
      where: "a > 0 AND b IS NOT NULL",
      constraint: null,
      nullsNotDistinct: true,
    });
    expect(index.whereAst).toHaveProperty("BoolExpr");
    expect(index.keys).toEqual([
      { column: "a", descending: true, nullsFirst: true },
      { expression: "lower(b)", expressionAst: expect.objectContaining({ FuncCall: expect.anything() }), opclass: "text_pattern_ops", descending: false, nullsFirst: false },
      { column: "e", collation: "C", descending: false, nullsFirst: true },
    ]);
  });

  it("names unnamed indexes after the table and columns, numbering on a clash", () => {
    const schema = replaySql(`
      create table t (a int, b int, data jsonb);
      create index on t (a, b);
      create index on t (a, b);
      create index on t using gin (data);
      create index on t ((data ->> 'k'));
      create index on t (lower(b::text))`);
    expect(indexNames(schema, "t")).toEqual(["t_a_b_idx", "t_a_b_idx1", "t_data_idx", "t_expr_idx", "t_lower_idx"]);
    expect(table(schema, "t").indexes[2].method).toBe("gin");
  });

  it("skips IF NOT EXISTS when the name is taken and ignores tables it does not know", () => {
    const schema = replaySql(`
      create table t (a int, b int);
      create index if not exists t_idx on t (a);
      create index if not exists t_idx on t (b);
      create index on unknown_table (x);
      create index unknown_idx on auth.users (email)`);
    expect(table(schema, "t").indexes.map((i) => indexColumns(i))).toEqual([["a"]]);
  });

  it("drops and renames indexes, qualified or not", () => {
    const schema = replaySql(`
      create schema s;
      create table s.t (a int, b int);
      create index t_a on s.t (a);
      create index t_b on s.t (b);
      drop index concurrently if exists s.t_a;
      drop index if exists t_b;
      alter index s.t_b rename to t_b_renamed;
      drop index if exists nothing`);
    expect(findTable(schema, "s.t")?.indexes.map((i) => i.name)).toEqual(["t_b_renamed"]);
    expect(findIndex(schema, "s.t_b_renamed")?.table.name).toBe("t");
  });
});

describe("schemas and identifiers", () => {
  it("puts unqualified names in public and keeps quoted identifiers' case", () => {
    const schema = replaySql(`
      create schema app;
      create table Visit (id int);
      create table "Visit" ("Id" int primary key);
      create table app.visit (id int)`);
    expect(schema.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(["public.visit", "public.Visit", "app.visit"]);
    expect(findTable(schema, '"Visit"')?.primaryKey).toEqual({ name: "Visit_pkey", columns: ["Id"] });
    expect(findTable(schema, "VISIT")?.name).toBe("visit");
  });

  it("creates the tables and indexes inside CREATE SCHEMA in that schema", () => {
    const schema = replaySql(`
      create schema billing
        create table invoices (id int primary key, amount int)
        create index invoices_amount on invoices (amount)`);
    expect(findTable(schema, "billing.invoices")?.indexes.map((i) => i.name)).toEqual(["invoices_pkey", "invoices_amount"]);
  });
});

describe("statements outside the model and odd input", () => {
  it("skips what it does not model and never throws on unknown tables", () => {
    const schema = replaySql(`
      create extension if not exists pgcrypto;
      create function f() returns int language sql as 'select 1';
      insert into nowhere values (1);
      alter table missing add column x int;
      alter table missing rename column a to b;
      alter table missing rename constraint a to b;
      alter table missing drop constraint a;
      drop table missing;
      create table t (id int primary key);
      grant select on t to public;
      comment on table t is 'x'`);
    expect(schema.tables.map((t) => t.name)).toEqual(["t"]);
  });

  it("survives statement trees it has never seen", () => {
    const statements: Statement[] = [
      ...sqlToStatements("create table t (id int primary key)"),
      { ...sqlToStatements("select 1")[0], ast: { CreateStmt: { relation: null, tableElts: "nonsense" } } },
      { ...sqlToStatements("select 1")[0], ast: { AlterTableStmt: { relation: { relname: "t" }, objtype: "OBJECT_TABLE", cmds: [{ AlterTableCmd: { subtype: "AT_AddConstraint", def: { Constraint: { contype: "CONSTR_FOREIGN" } } } }] } } },
      { ...sqlToStatements("select 1")[0], ast: {} },
    ];
    const schema = replaySchema(statements);
    expect(table(schema, "t").primaryKey?.name).toBe("t_pkey");
  });

  it("replays DDL that came out of DO blocks like any other statement", () => {
    const [statement] = sqlToStatements("alter table c add constraint c_p_fk foreign key (p_id) references p");
    const schema = replaySchema([
      ...sqlToStatements("create table p (id int primary key); create table c (p_id int)"),
      { ...statement, fromDoBlock: true },
    ]);
    expect(table(schema, "c").foreignKeys.map((f) => f.name)).toEqual(["c_p_fk"]);
  });
});

describe("locations", () => {
  it("remembers the file and line of the statement that made each object", () => {
    const schema = replaySchema(
      filesToStatements([
        { path: "migrations/001_init.sql", sql: "create table t (\n  id int primary key,\n  a int\n);\n" },
        { path: "migrations/002_idx.sql", sql: "-- index\n\ncreate index t_a on t (a);\nalter table t add constraint t_a_fk foreign key (a) references t;" },
      ]),
    );
    const t = table(schema, "t");
    expect(t.location).toEqual({ file: "migrations/001_init.sql", line: 1, column: 1 });
    expect(t.createdInFileOrder).toBe(0);
    expect(t.indexes.find((i) => i.name === "t_a")?.location).toEqual({ file: "migrations/002_idx.sql", line: 3, column: 1 });
    expect(t.foreignKeys[0].location).toMatchObject({ file: "migrations/002_idx.sql", line: 4 });
    expect(t.columns[0].location.file).toBe("migrations/001_init.sql");
  });
});

describe("locations inside a statement", () => {
  it("points columns and constraints at their own lines", () => {
    const sql = [
      "-- calls table: the calls table",
      "create table calls (",
      "  id bigint primary key,",
      "  org_id uuid",
      "    references orgs on delete cascade,",
      "  token text,",
      "  constraint calls_token_key unique (token)",
      ");",
      "alter table calls",
      "  add column site_id uuid,",
      "  add constraint calls_site_fk foreign key (site_id) references sites;",
    ].join("\n");
    const schema = replaySchema(sqlToStatements(sql, "m.sql"));
    const calls = table(schema, "calls");
    expect(calls.location).toEqual({ file: "m.sql", line: 2, column: 1 });
    expect(calls.columns.map((c) => [c.name, c.location.line, c.location.column])).toEqual([
      ["id", 3, 3],
      ["org_id", 4, 3],
      ["token", 6, 3],
      ["site_id", 10, 14],
    ]);
    expect(calls.foreignKeys.map((f) => [f.name, f.location.line])).toEqual([
      ["calls_org_id_fkey", 5],
      ["calls_site_fk", 11],
    ]);
    expect(calls.indexes.map((i) => [i.name, i.location.line])).toEqual([
      ["calls_pkey", 3],
      ["calls_token_key", 7],
    ]);
  });
});

it("finds the table name past leading comments that mention it", () => {
  const [parsed] = sqlToStatements("create table orders (\n  id int\n)");
  const withComment: Statement = {
    ...parsed,
    sql: "-- orders: one row per orders checkout\ncreate table orders (\n  id int\n)",
    location: { file: "m.sql", line: 1, column: 1 },
    // the parser's offsets, as if the comment had been part of the parsed text
    ast: sqlToStatements("-- orders: one row per orders checkout\ncreate table orders (\n  id int\n)")[0].ast,
  };
  const schema = replaySchema([withComment]);
  expect(table(schema, "orders").columns[0].location).toEqual({ file: "m.sql", line: 3, column: 3 });
});
