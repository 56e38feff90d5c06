// The Drizzle reader: every construct of a pgTable declaration, the DDL drizzle-kit would generate (run in
// PGlite, whose catalog must equal the replayed model), default names, and the TypeScript-key mapping.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayDeclared } from "../../../src/schema/declared/ddl.js";
import { mayDeclareDrizzleTables, readDrizzleSchema } from "../../../src/schema/declared/drizzle.js";
import { comparableCatalog, comparableModel, resetDatabase } from "../catalog.js";
import { startPGlite } from "../../support/pglite.js";
import { execPieces, fixtureText } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(async () => {
  await db?.close();
});

const PATH = "src/db/schema.ts";
const pushText = () => fixtureText("drizzle-push", PATH);

describe("Drizzle pgTable reader", () => {
  it("gives the model PostgreSQL builds from the DDL drizzle-kit would generate", async () => {
    const read = readDrizzleSchema([{ path: PATH, text: pushText() }]);
    expect(read.problems).toEqual([]);
    const { schema } = replayDeclared(read, []);
    await resetDatabase(db);
    await execPieces(db, read.ddl);
    expect(comparableModel(schema)).toEqual(await comparableCatalog(db));
  });

  it("reads pgTable(\"auth.users\") as the table users of schema auth, which the schema file mirrors", () => {
    const text = `import { pgTable, uuid, text } from "drizzle-orm/pg-core";\nexport const users = pgTable("auth.users", { id: uuid("id").primaryKey(), email: text("email") });\n`;
    const read = readDrizzleSchema([{ path: PATH, text }]);
    expect(read.problems).toEqual([]);
    expect(read.declared.models.map((m) => [m.schema, m.table])).toEqual([["auth", "users"]]);
  });

  it("reads column names, types, keys, references and every extra-config form", () => {
    const { schema } = replayDeclared(readDrizzleSchema([{ path: PATH, text: pushText() }]), []);
    const table = (name: string) => schema.tables.find((t) => t.name === name)!;
    expect(table("fleets").columns.map((c) => `${c.name} ${c.type} ${c.nullable ? "null" : "not null"}`)).toEqual([
      "id uuid not null",
      "name text not null",
      "code character varying(12) not null",
    ]);
    expect(table("fleets").indexes.map((i) => [i.name, i.constraint])).toEqual([
      ["fleets_pkey", "primary"],
      ["fleets_code_unique", "unique"],
    ]);
    const vehicles = table("vehicles");
    expect(vehicles.columns.find((c) => c.name === "kind")!.type).toBe("vehicle_kind");
    expect(vehicles.columns.find((c) => c.name === "created_at")!.type).toBe("timestamp with time zone");
    expect(vehicles.foreignKeys).toMatchObject([{ name: "vehicles_fleet_id_fleets_id_fk", columns: ["fleet_id"], references: { table: "fleets", columns: ["id"] }, onDelete: "cascade" }]);
    const plate = vehicles.indexes.find((i) => i.name === "vehicles_plate_idx")!;
    expect([plate.unique, plate.where]).toEqual([true, "retired_at IS NULL"]);
    expect(vehicles.indexes.find((i) => i.name === "vehicles_lower_plate_idx")!.keys[0].expression).toBe("lower(plate)");
    const trips = table("trips");
    expect(trips.primaryKey).toEqual({ name: "trips_id_vehicle_id_pk", columns: ["id", "vehicle_id"] });
    expect(trips.foreignKeys.map((f) => [f.name, f.onDelete])).toEqual([["trips_vehicle_id_vehicles_id_fk", "cascade"]]);
    const byDriver = trips.indexes.find((i) => i.name === "trips_driver_started_at_index")!;
    expect(byDriver.keys.map((k) => [k.column, k.descending])).toEqual([
      ["driver", false],
      ["started_at", true],
    ]);
    expect(trips.indexes.find((i) => i.name === "trips_driver_pattern_idx")!.keys[0].opclass).toBe("text_pattern_ops");
    expect(trips.indexes.find((i) => i.name === "trips_driver_started_at_unique")!.constraint).toBe("unique");
  });

  it("reads tables with row level security on: pgTable(...).enableRLS() and pgTable.withRLS(...)", () => {
    const text = [
      'import { pgTable, primaryKey, uuid } from "drizzle-orm/pg-core";',
      'export const projects = pgTable("projects", { id: uuid("id").primaryKey() }).enableRLS();',
      'export const members = pgTable.withRLS("members", {',
      '  projectId: uuid("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),',
      '  userId: uuid("user_id").notNull(),',
      "}, (t) => [primaryKey({ columns: [t.projectId, t.userId] })]);",
    ].join("\n");
    expect(mayDeclareDrizzleTables(text)).toBe(true);
    expect(mayDeclareDrizzleTables('import { pgTable } from "drizzle-orm/pg-core";\nexport const a = pgTable.withRLS("a", {});')).toBe(true);
    const read = readDrizzleSchema([{ path: PATH, text }]);
    expect(read.problems).toEqual([]);
    expect(read.declared.models.map((m) => [m.name, m.table, m.location.line, m.extraConfig ?? null])).toEqual([
      ["projects", "projects", 2, null],
      ["members", "members", 3, "array"],
    ]);
    const members = read.declared.models[1];
    expect(members.indexes).toMatchObject([{ name: "members_project_id_user_id_pk", kind: "primary", columns: ["project_id", "user_id"] }]);
    const { schema } = replayDeclared(read, []);
    expect(schema.tables.find((t) => t.name === "members")!.foreignKeys.map((fk) => [fk.columns, fk.references.table, fk.onDelete])).toEqual([[["project_id"], "projects", "cascade"]]);
  });

  it("places tables, columns and indexes at their declaring lines", () => {
    const { schema } = replayDeclared(readDrizzleSchema([{ path: PATH, text: pushText() }]), []);
    const vehicles = schema.tables.find((t) => t.name === "vehicles")!;
    expect(vehicles.location).toMatchObject({ file: PATH, line: 12 });
    expect(vehicles.columns.find((c) => c.name === "fleet_id")!.location.line).toBe(16);
    expect(vehicles.foreignKeys[0].location.line).toBe(16);
    expect(vehicles.indexes.find((i) => i.name === "vehicles_plate_idx")!.location.line).toBe(25);
  });

  it("maps TypeScript keys to column names and reads relations() for db.query", () => {
    const text = `import { pgTable, uuid, text, pgSchema } from "drizzle-orm/pg-core";
import { relations } from "drizzle-orm";
const billing = pgSchema("billing");
export const users = pgTable("users", { id: uuid().primaryKey(), fullName: text("full_name") });
export const invoices = billing.table("invoices", (t) => ({ id: t.uuid().primaryKey(), userId: t.uuid("user_id").references(() => users.id) }));
export const usersRelations = relations(users, ({ many }) => ({ invoices: many(invoices) }));
export const invoicesRelations = relations(invoices, ({ one }) => ({ owner: one(users, { fields: [invoices.userId], references: [users.id] }) }));
`;
    expect(mayDeclareDrizzleTables(text)).toBe(true);
    const read = readDrizzleSchema([{ path: "schema.ts", text }]);
    const users = read.declared.models.find((m) => m.name === "users")!;
    expect(users.fields.map((f) => [f.field, f.column])).toEqual([
      ["id", "id"],
      ["fullName", "full_name"],
    ]);
    expect(users.relations).toMatchObject([{ field: "invoices", list: true, holdsForeignKey: false, from: { columns: ["id"] }, to: { schema: "billing", table: "invoices", columns: ["user_id"] } }]);
    const invoices = read.declared.models.find((m) => m.name === "invoices")!;
    expect([invoices.schema, invoices.table]).toEqual(["billing", "invoices"]);
    expect(invoices.relations.find((r) => r.field === "owner")).toMatchObject({ holdsForeignKey: true, from: { columns: ["user_id"], fields: ["userId"] }, to: { table: "users", columns: ["id"] } });
  });

  it("reports a file that does not parse, and a column reference it cannot follow, at their lines", () => {
    const broken = readDrizzleSchema([{ path: "a.ts", text: 'import { pgTable } from "drizzle-orm/pg-core";\nexport const t = pgTable("t", {\n  id: \n' }]);
    expect(broken.problems[0]).toMatchObject({ location: { file: "a.ts" }, message: expect.stringContaining("syntax error") });
    const dangling = readDrizzleSchema([{ path: "b.ts", text: 'import { pgTable, uuid } from "drizzle-orm/pg-core";\nexport const t = pgTable("t", {\n  other: uuid("other").references(() => missing.id),\n});\n' }]);
    expect(dangling.problems).toMatchObject([{ location: { file: "b.ts", line: 3 }, message: expect.stringContaining("foreign key left out") }]);
    expect(dangling.declared.models[0].fields.map((f) => f.column)).toEqual(["other"]);
  });
});
