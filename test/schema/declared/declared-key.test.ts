// A missing primary key on a table an ORM declares: the fix is the declaration (`@@id`, `primaryKey()`) with the
// SQL kept beside it, and that SQL leaves the database as the ORM's tool expects it from the changed schema.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inDeclaredForm } from "../../../src/advisor/declared-fix.js";
import type { FindingDraft, Schema } from "../../../src/core/types.js";
import { missingPrimaryKey } from "../../../src/rules/missing-primary-key.js";
import { DEFAULT_CONFIG } from "../../../src/core/config.js";
import { replayDeclared, type DeclaredRead } from "../../../src/schema/declared/ddl.js";
import { readDrizzleSchema } from "../../../src/schema/declared/drizzle.js";
import { readPrismaSchema } from "../../../src/schema/declared/prisma.js";
import { initParser } from "../../../src/sql/parser.js";
import { resetDatabase } from "../catalog.js";
import { startPGlite } from "../../support/pglite.js";

let db: PGlite;
beforeAll(async () => {
  await initParser();
  db = await startPGlite();
}, 60_000);
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await resetDatabase(db);
});

function declaredSchema(read: DeclaredRead): Schema {
  return { ...replayDeclared(read, []).schema, declared: [read.declared] };
}

/** The rule's findings on the declared schema, in the declared form the pipeline gives them. */
function findings(schema: Schema, framework: "prisma" | "drizzle" | "prisma-schema" = "prisma"): FindingDraft[] {
  const set = { name: "m", framework, root: "m", files: [] } as const;
  const drafts = missingPrimaryKey.check({ set, statements: [], schema, patterns: [], problems: [], config: DEFAULT_CONFIG } as never);
  return drafts.map((d) => inDeclaredForm(d, schema, framework));
}

async function keys(table: string): Promise<Array<{ name: string; kind: string; columns: string }>> {
  const res = await db.query<{ name: string; kind: string; columns: string }>(
    `select c.relname as name, case when i.indisprimary then 'primary' when i.indisunique then 'unique' else 'index' end as kind,
            pg_get_indexdef(i.indexrelid) as columns
       from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = $1::regclass order by 1`,
    [table],
  );
  return res.rows.map((r) => ({ ...r, columns: r.columns.replace(/^.*\((.*)\)$/, "$1") }));
}

const TOKEN_MODEL = ["model VerificationToken {", "  identifier String", "  token      String   @unique", "  expires    DateTime", "", "  @@unique([identifier, token])", "}"].join("\n");

describe("missing-primary-key in the declared form", () => {
  it("Prisma: a field's @unique becomes @@id, said so, and the SQL leaves what prisma migrate expects", async () => {
    const read = readPrismaSchema({ files: [{ path: "prisma/schema.prisma", text: TOKEN_MODEL }] });
    const [finding] = findings(declaredSchema(read));
    expect(finding.fix!.sql).toBe('ALTER TABLE "VerificationToken" ADD CONSTRAINT "VerificationToken_pkey" PRIMARY KEY USING INDEX "VerificationToken_token_key";');
    expect(finding.fix!.declared).toMatchObject({ file: "prisma/schema.prisma", line: 7, action: "add", text: "@@id([token])", language: "prisma" });
    expect(finding.fix!.declared!.note).toContain("Remove `@unique` from the `token` field (line 3)");
    expect(finding.fix!.declared!.note).toContain("--create-only");
    for (const piece of read.ddl) await db.exec(piece.sql);
    await db.exec(finding.fix!.sql);
    // What the changed schema declares: the key under Prisma's name, the @@unique kept, token's own unique gone.
    const changed = readPrismaSchema({ files: [{ path: "prisma/schema.prisma", text: TOKEN_MODEL.replace("String   @unique", "String").replace("}", "  @@id([token])\n}") }] });
    const expected = changed.declared.models[0].indexes.map((i) => i.name).sort();
    expect((await keys('"VerificationToken"')).map((k) => k.name)).toEqual(expected);
    expect(await keys('"VerificationToken"')).toContainEqual({ name: "VerificationToken_pkey", kind: "primary", columns: "token" });
  });

  it("Prisma: a @@unique on the key's columns is replaced by @@id on its own line", () => {
    const text = ["model BillingBackup {", "  customerId String", "  meterId    String", "  startsAt   DateTime", "  value      Int", "", "  @@unique([customerId, meterId, startsAt])", "}"].join("\n");
    const [finding] = findings(declaredSchema(readPrismaSchema({ files: [{ path: "schema.prisma", text }] })));
    expect(finding.fix!.declared).toMatchObject({ line: 7, action: "replace", text: "@@id([customerId, meterId, startsAt])" });
    expect(finding.fix!.sql).toBe('ALTER TABLE "BillingBackup" ADD CONSTRAINT "BillingBackup_pkey" PRIMARY KEY USING INDEX "BillingBackup_customerId_meterId_startsAt_key";');
  });

  it("Prisma with db push: the SQL goes first, by hand", () => {
    const [finding] = findings(declaredSchema(readPrismaSchema({ files: [{ path: "schema.prisma", text: TOKEN_MODEL }] })), "prisma-schema");
    expect(finding.fix!.declared!.note).toContain("`prisma db push`");
    expect(finding.fix!.declared!.note).not.toContain("--create-only");
  });

  it("Drizzle: primaryKey() in the extra config, the SQL naming the key as drizzle-kit does, and it runs", async () => {
    const text = [
      'import { boolean, pgTable, uuid } from "drizzle-orm/pg-core";',
      'export const settings = pgTable("settings", {',
      '  projectId: uuid("project_id").notNull().unique(),',
      '  publicPreview: boolean("public_preview").notNull(),',
      "}).enableRLS();",
    ].join("\n");
    const read = readDrizzleSchema([{ path: "src/schema.ts", text }]);
    const [finding] = findings(declaredSchema(read), "drizzle");
    expect(finding.fix!.sql).toBe('ALTER TABLE settings DROP CONSTRAINT settings_project_id_unique, ADD CONSTRAINT "settings_project_id_pk" PRIMARY KEY (project_id);');
    expect(finding.fix!.declared).toMatchObject({ file: "src/schema.ts", line: 5, action: "replace", text: "}, (t) => [primaryKey({ columns: [t.projectId] })]).enableRLS();", language: "typescript" });
    expect(finding.fix!.declared!.note).toContain("Import `primaryKey` from drizzle-orm/pg-core: the file does not import it yet.");
    expect(finding.fix!.declared!.note).toContain("Remove `.unique()` from the `projectId` column (line 3)");
    for (const piece of read.ddl) await db.exec(piece.sql);
    await db.exec(finding.fix!.sql);
    // The name drizzle-kit gives `primaryKey({ columns: [t.projectId] })`, read back from the changed declaration.
    const changed = readDrizzleSchema([{ path: "src/schema.ts", text: text.replace(".notNull().unique()", ".notNull()").replace("}).enableRLS();", "}, (t) => [primaryKey({ columns: [t.projectId] })]).enableRLS();").replace("{ boolean,", "{ boolean, primaryKey,") }]);
    expect((await keys("settings")).map((k) => k.name)).toEqual(changed.declared.models[0].indexes.map((i) => i.name));
  });

  it("a table no ORM declares keeps its SQL-only fix", () => {
    const read = readPrismaSchema({ files: [{ path: "schema.prisma", text: TOKEN_MODEL }] });
    const schema = declaredSchema(read);
    const [finding] = findings({ ...schema, declared: [{ ...read.declared, models: [] }] });
    expect(finding.fix!.declared).toBeUndefined();
  });
});
