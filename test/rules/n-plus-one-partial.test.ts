// n-plus-one advice for a loop of per-row updates whose update object may leave fields out (an optional
// property, `x ?? undefined`, a conditional spread): Prisma Client leaves such a field unchanged, so the
// batched UPDATE keeps the row's value with COALESCE instead of writing the VALUES row's NULL. Each
// statement the advice gives is run in PostgreSQL against the schema.
import { describe, expect, it } from "vitest";
import { nPlusOne } from "../../src/rules/n-plus-one.js";
import { patternsOf } from "../queries/clients/support.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";
import { pgliteForFile } from "../support/pglite.js";

const pg = pgliteForFile();

const SQL = `
  CREATE TYPE "SlotKind" AS ENUM ('TEXT', 'DATE', 'CHECKBOX');
  CREATE TABLE "Slot" (id serial PRIMARY KEY, "formId" text NOT NULL, kind "SlotKind" NOT NULL, "offsetX" numeric(10,4) NOT NULL, label text, meta jsonb);
`;

const PRISMA = `
enum SlotKind {
  TEXT
  DATE
  CHECKBOX
}
model Slot { id Int @id @default(autoincrement())
  formId String
  kind SlotKind
  offsetX Decimal @db.Decimal(10, 4)
  label String?
  meta Json? }
`;

function findings(code: string) {
  const patterns = patternsOf(code, { prisma: PRISMA });
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns, problems: [], config: config() });
}

async function fresh(name: string): Promise<void> {
  await pg().exec(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}; SET search_path TO ${name}; ${SQL}`);
  await pg().exec(`INSERT INTO "Slot" ("formId", kind, "offsetX", label, meta) VALUES ('f', 'TEXT', 1.5, 'name', '{"a":1}'), ('f', 'DATE', 2.5, 'when', '{"b":2}')`);
}

const head = 'import { prisma } from "./db";\n';

/** The UPDATE the message gives, with `(VALUES ...)` replaced by `rows`. */
function updateOf(message: string, rows: string): string {
  const sql = /`(UPDATE "Slot" AS t SET [^`]+)`/.exec(message)?.[1];
  expect(sql).toBeDefined();
  return sql!.replace("(VALUES ...)", `(VALUES ${rows})`);
}

describe("n-plus-one: a per-row update that may leave fields out", () => {
  const loop = (data: string, decl = "", use = "") =>
    head +
    [
      decl,
      "export async function moveSlots(formId: string, changes: SlotChange[]) {",
      "  return prisma.$transaction(async (tx) => {",
      "    return Promise.all(",
      "      changes.map(async (change) => {",
      `        const updated = await tx.slot.update({ where: { id: change.id }, data: ${data} });`,
      use,
      "        return updated;",
      "      }),",
      "    );",
      "  });",
      "}",
    ].join("\n");
  const optionalDecl = "interface SlotChange { id: number; kind?: SlotKind; offsetX?: number; meta?: Record<string, unknown> }";

  it("optional properties: COALESCE keeps the row's value, each v column cast, the updated rows returned", async () => {
    const [f] = findings(loop("{ kind: change.kind, offsetX: change.offsetX, meta: change.meta }", optionalDecl, "        changed.push(diff(change, updated));"));
    expect(f.severity).toBe("routine");
    expect(f.message).toContain(
      '`UPDATE "Slot" AS t SET kind = COALESCE(v.kind::"SlotKind", t.kind), "offsetX" = COALESCE(v."offsetX"::numeric(10,4), t."offsetX"), meta = COALESCE(v.meta::jsonb, t.meta) FROM (VALUES ...) AS v(id, kind, "offsetX", meta) WHERE t.id = v.id RETURNING t.*`',
    );
    expect(f.message).toContain("with `$queryRaw`, which returns the updated rows the loop uses");
    expect(f.message).toContain("`kind`, `offsetX`, `meta` may be undefined on some items");
    await fresh("optional_props");
    // Item 1 leaves offsetX (NOT NULL) and meta out; item 2 changes only its kind.
    const result = await pg().query<{ id: number; kind: string; offsetX: string; meta: unknown; label: string }>(
      updateOf(f.message, `(1, NULL, NULL, NULL), (2, 'CHECKBOX', 9.25, '{"c":3}')`),
    );
    expect(result.rows.map((r) => [r.id, r.kind, r.offsetX, r.meta, r.label]).sort()).toEqual([
      [1, "TEXT", "1.5000", { a: 1 }, "name"],
      [2, "CHECKBOX", "9.2500", { c: 3 }, "when"],
    ]);
  });

  it("the plain VALUES form would write NULL into the NOT NULL column the item left out", async () => {
    await fresh("plain_values");
    await expect(pg().exec(`UPDATE "Slot" AS t SET "offsetX" = v."offsetX" FROM (VALUES (1, NULL::numeric)) AS v(id, "offsetX") WHERE t.id = v.id`)).rejects.toThrow(/null value in column "offsetX"/);
  });

  it("`x ?? undefined` and a conditional spread: only those fields are kept, the others are set", async () => {
    const code = loop('{ label: change.label, offsetX: change.offsetX ?? undefined, ...(change.kind ? { kind: change.kind } : {}) }', "type SlotChange = { id: number; label: string; offsetX: number | null; kind: SlotKind | null };");
    const [f] = findings(code);
    expect(f.message).toContain('SET label = v.label::text, "offsetX" = COALESCE(v."offsetX"::numeric(10,4), t."offsetX"), kind = COALESCE(v.kind::"SlotKind", t.kind)');
    expect(f.message).toContain("`offsetX`, `kind` may be undefined on some items");
    await fresh("spread");
    const result = await pg().query<{ id: number; kind: string; offsetX: string; label: string }>(updateOf(f.message, `(1, 'first', NULL, NULL), (2, 'second', 3, 'TEXT')`));
    expect(result.rows.map((r) => [r.id, r.label, r.kind, r.offsetX]).sort()).toEqual([
      [1, "first", "TEXT", "1.5000"],
      [2, "second", "TEXT", "3.0000"],
    ]);
  });

  it("an untyped destructured item whose keys the file's type declares optional", () => {
    const code =
      head +
      [
        "type Options = { formId: string; changes: { slotId: number; label?: string; offsetX?: number }[] };",
        "export async function relabel({ formId, changes }: Options) {",
        "  return Promise.all(changes.map(({ slotId, label, offsetX }) => prisma.slot.update({ where: { id: slotId, formId }, data: { label, offsetX } })));",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.message).toContain('SET label = COALESCE(v.label::text, t.label), "offsetX" = COALESCE(v."offsetX"::numeric(10,4), t."offsetX")');
    // The function returns what Promise.all collects: the updated rows.
    expect(f.message).toContain("RETURNING t.*` with `$queryRaw`");
  });

  it("rows collected by Promise.all are used; Promise.all awaited and dropped is not", () => {
    const body = (bind: string) =>
      head +
      [
        "type Change = { slotId: number; label?: string };",
        "export async function relabel(changes: Change[]) {",
        `  ${bind}await Promise.all(changes.map((c) => prisma.slot.update({ where: { id: c.slotId }, data: { label: c.label } })));`,
        bind ? "  return rows.map((r) => r.id);" : "",
        "}",
      ].join("\n");
    expect(findings(body("const rows = "))[0].message).toContain("RETURNING t.*` with `$queryRaw`");
    const dropped = findings(body(""))[0].message;
    expect(dropped).toContain("with `$executeRaw`");
    expect(dropped).not.toContain("RETURNING");
  });

  it("every field always set: the plain `SET col = v.col` form, no COALESCE", () => {
    const [f] = findings(loop("{ kind: change.kind, offsetX: change.offsetX }", "interface SlotChange { id: number; kind: SlotKind; offsetX: number }"));
    expect(f.message).toContain("SET col = v.col");
    expect(f.message).not.toContain("COALESCE");
  });

  it("a result used only as a count keeps `RETURNING` of the keys", () => {
    const code =
      head +
      [
        optionalDecl,
        "export async function moveSlots(changes: SlotChange[]) {",
        "  let moved = 0;",
        "  for (const change of changes) {",
        "    const result = await prisma.slot.updateMany({ where: { id: change.id }, data: { kind: change.kind } });",
        "    moved += result.count;",
        "  }",
        "  return moved;",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.message).toContain("COALESCE(v.kind::\"SlotKind\", t.kind)");
    expect(f.message).toContain("`RETURNING t.id` so the code learns which items matched");
    expect(f.message).not.toContain("RETURNING t.*");
  });
});

describe("n-plus-one: an upsert keyed on `x ?? <constant>` is split by whether the item has a key", () => {
  const code = (store: boolean) =>
    head +
    [
      "type SlotInput = { formId: string; kind: SlotKind; offsetX: number; label: string; saved?: { id: number } };",
      "export async function saveSlots(formId: string, slots: SlotInput[]) {",
      "  return Promise.all(",
      "    slots.map(async (slot) => {",
      `      ${store ? "const row = " : ""}await prisma.slot.upsert({`,
      "        where: { id: slot.saved?.id ?? -1, formId },",
      "        update: { offsetX: slot.offsetX, label: slot.label },",
      "        create: { kind: slot.kind, offsetX: slot.offsetX, label: slot.label, form: { connect: { id: formId } } },",
      "      });",
      store ? "      return { ...row, saved: true };" : "",
      "    }),",
      "  );",
      "}",
    ].join("\n");

  it("the items with a key: one VALUES update returning the rows; the others: one createManyAndReturn", async () => {
    const [f] = findings(code(true));
    expect(f.severity).toBe("routine");
    expect(f.message).toContain("The upsert's `where` gives `id` as `... ?? -1`, which no row holds");
    expect(f.message).toContain(
      '`UPDATE "Slot" AS t SET "offsetX" = v."offsetX"::numeric(10,4), label = v.label::text FROM (VALUES ...) AS v(id, "offsetX", label) WHERE t.id = v.id AND ... RETURNING t.*` with `$queryRaw`',
    );
    expect(f.message).toContain("for the others, one `createManyAndReturn({ data: rows })`");
    expect(f.message).not.toContain("skipDuplicates: true })`, which");
    await fresh("split");
    const sql = /`(UPDATE "Slot" AS t SET [^`]+)`/.exec(f.message)![1].replace("(VALUES ...)", "(VALUES (1, 7, 'moved'))").replace(" AND ...", " AND t.\"formId\" = 'f'");
    const updated = await pg().query<{ id: number; offsetX: string; label: string; kind: string }>(sql);
    expect(updated.rows.map((r) => [r.id, r.offsetX, r.label, r.kind])).toEqual([[1, "7.0000", "moved", "TEXT"]]);
    await pg().exec(`INSERT INTO "Slot" ("formId", kind, "offsetX", label) VALUES ('f', 'DATE', 4, 'new')`);
    const all = await pg().query<{ n: number }>(`SELECT count(*)::int AS n FROM "Slot"`);
    expect(all.rows[0].n).toBe(3);
  });

  it("the skipDuplicates recipe it replaces inserts an existing item a second time: no key, no conflict", async () => {
    await fresh("split_dup");
    await pg().exec(`INSERT INTO "Slot" ("formId", kind, "offsetX", label) VALUES ('f', 'TEXT', 1.5, 'name') ON CONFLICT DO NOTHING`);
    const all = await pg().query<{ n: number }>(`SELECT count(*)::int AS n FROM "Slot" WHERE label = 'name'`);
    expect(all.rows[0].n).toBe(2);
  });

  it("a result the loop drops: $executeRaw and createMany", () => {
    const [f] = findings(code(false));
    expect(f.message).toContain("with `$executeRaw`");
    expect(f.message).toContain("for the others, one `createMany({ data: rows })`");
    expect(f.message).not.toContain("RETURNING");
  });

  it("an upsert keyed on a value every item has keeps the general recipe", () => {
    const plain = code(true).replace("id: slot.saved?.id ?? -1", "id: slot.saved!.id");
    const [f] = findings(plain);
    expect(f.message).not.toContain("which no row holds");
    expect(f.message).toContain("skipDuplicates: true");
  });
});
