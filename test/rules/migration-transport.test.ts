// Fixes that must not share a transaction, placed by how the migration tool sends the file: a tool that sends
// the file as one query string (Prisma Migrate before 7.4) makes every file of two statements one implicit
// transaction; Prisma Migrate 7.4 and later send statements one at a time unless their splitter cannot read
// one of them (DROP INDEX CONCURRENTLY). Each fix is run in PGlite the way the tool would send it.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { constraintValidation } from "../../src/rules/constraint-validation.js";
import { indexLocking } from "../../src/rules/index-locking.js";
import { initParser } from "../../src/sql/parser.js";
import { startPGlite } from "../support/pglite.js";
import { check, type FixtureFile } from "./helpers.js";

const BASE =
  'CREATE TABLE "Coupon" (id int PRIMARY KEY, code text, note text);\n' +
  'CREATE TABLE "Shelf" (id int PRIMARY KEY, label text);\n' +
  'CREATE TABLE "Guest" (id int PRIMARY KEY, name text);\n' +
  'CREATE UNIQUE INDEX "Coupon_code_key" ON "Coupon" (code);\n' +
  'CREATE UNIQUE INDEX "Shelf_label_key" ON "Shelf" (label);\n';

function prismaFiles(change: string): FixtureFile[] {
  return [
    { path: "prisma/migrations/1_init/migration.sql", sql: BASE },
    { path: "prisma/migrations/2_change/migration.sql", sql: change },
  ];
}

/** The fix's parts: `-- A later migration of its own:` / `-- A migration of its own:` start a new file. */
function migrationsOf(sql: string): string[] {
  return sql
    .split(/^-- A (?:later )?migration of its own:\n/m)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** Runs each text as one query string, as a tool that sends a file as one script does; the SQLSTATE, or "ok". */
async function sendAsScript(db: PGlite, text: string): Promise<string> {
  return db.exec(text).then(
    () => "ok",
    (error: { code?: string }) => error.code ?? "error",
  );
}

let db: PGlite;
beforeAll(async () => {
  await initParser();
  db = await startPGlite();
}, 60_000);
afterAll(async () => {
  await db?.close();
});

async function reset(): Promise<void> {
  await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  await db.exec(BASE);
}

describe("Prisma Migrate 7.4 and later: statements one at a time, unless the splitter cannot read one", () => {
  const DROPS = 'DROP INDEX "Coupon_code_key";\nDROP INDEX "Shelf_label_key";\n';

  it("a DROP INDEX among others: DROP INDEX CONCURRENTLY alone in a migration of its own, since in place the file goes as one script", async () => {
    const found = check(indexLocking, prismaFiles(DROPS), { framework: "prisma", sends: "split" });
    expect(found).toHaveLength(2);
    for (const finding of found) {
      expect(finding.fix?.placement).toBe("separate");
      expect(finding.summary).toContain("alone in a migration of its own");
      expect(finding.details).toContain("does not read DROP INDEX CONCURRENTLY");
    }
    await reset();
    // In place of line 1, the file holds DROP INDEX CONCURRENTLY and another statement: one script, refused.
    const inPlace = DROPS.replace('DROP INDEX "Coupon_code_key";', found[0].fix!.sql);
    expect(await sendAsScript(db, inPlace)).toBe("25001");
    // Each alone, as the fixes say: accepted, and the indexes are gone.
    for (const finding of found) expect(await sendAsScript(db, finding.fix!.sql)).toBe("ok");
    const left = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_indexes WHERE indexname IN ('Coupon_code_key', 'Shelf_label_key')");
    expect(left.rows[0].n).toBe(0);
  });

  it("a DROP INDEX alone in its file keeps CONCURRENTLY in place: one statement survives the splitter's fallback", () => {
    const found = check(indexLocking, prismaFiles('DROP INDEX "Coupon_code_key";\n'), { framework: "prisma", sends: "split" });
    expect(found[0].fix).toEqual({ sql: 'DROP INDEX CONCURRENTLY "Coupon_code_key";', placement: "replace" });
  });

  it("CREATE UNIQUE INDEX after an ADD COLUMN on the same table: CONCURRENTLY in place, each statement commits on its own", async () => {
    const change = 'ALTER TABLE "Guest" ADD COLUMN "token" TEXT;\nCREATE UNIQUE INDEX "Guest_token_key" ON "Guest"("token");\n';
    const found = check(indexLocking, prismaFiles(change), { framework: "prisma", sends: "split" });
    const build = found.find((f) => f.message.startsWith("CREATE UNIQUE INDEX"))!;
    expect(build.fix).toEqual({ sql: 'CREATE UNIQUE INDEX CONCURRENTLY "Guest_token_key" ON "Guest"("token");', placement: "replace" });
    expect(build.details).toContain("one at a time, each committed on its own");
    await reset();
    // What the splitter sends: each statement as a query of its own.
    expect(await sendAsScript(db, 'ALTER TABLE "Guest" ADD COLUMN "token" TEXT')).toBe("ok");
    expect(await sendAsScript(db, build.fix!.sql)).toBe("ok");
  });

  it("SET NOT NULL: the four steps stay in place, since each commits before the next", () => {
    const found = check(constraintValidation, prismaFiles('ALTER TABLE "Coupon" ALTER COLUMN "note" SET NOT NULL;\n'), { framework: "prisma", sends: "split" });
    expect(found[0].fix?.sql).not.toContain("-- A later migration of its own:");
  });
});

describe("Prisma Migrate before 7.4: a migration.sql of two statements is one implicit transaction", () => {
  it("SET NOT NULL alone in its file: the ADD ... NOT VALID here, VALIDATE, SET NOT NULL and DROP CONSTRAINT in a later migration", async () => {
    const found = check(constraintValidation, prismaFiles('-- AlterTable\nALTER TABLE "Coupon" ALTER COLUMN "note" SET NOT NULL;\n'), { framework: "prisma", sends: "script" });
    expect(found).toHaveLength(1);
    const [here, later] = migrationsOf(found[0].fix!.sql);
    expect(here).toMatch(/^ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_note_not_null_check" CHECK \(note IS NOT NULL\) NOT VALID;$/);
    expect(later.split("\n")).toEqual([
      'ALTER TABLE "Coupon" VALIDATE CONSTRAINT "Coupon_note_not_null_check";',
      'ALTER TABLE "Coupon" ALTER COLUMN note SET NOT NULL;',
      'ALTER TABLE "Coupon" DROP CONSTRAINT "Coupon_note_not_null_check";',
    ]);
    expect(found[0].summary).toContain("then VALIDATE in a later migration");
    expect(found[0].details).toContain("sends a migration.sql as one script");
    await reset();
    await db.exec("INSERT INTO \"Coupon\" VALUES (1, 'A', 'first')");
    // Each migration as Prisma sends it: one script each.
    expect(await sendAsScript(db, here)).toBe("ok");
    expect(await sendAsScript(db, later)).toBe("ok");
    const column = await db.query<{ attnotnull: boolean }>("SELECT attnotnull FROM pg_attribute WHERE attrelid = '\"Coupon\"'::regclass AND attname = 'note'");
    expect(column.rows[0].attnotnull).toBe(true);
  });

  it("CHECK without NOT VALID alone in its file: VALIDATE goes to a later migration", async () => {
    const found = check(constraintValidation, prismaFiles('ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_code_len" CHECK (length(code) < 40);\n'), { framework: "prisma", sends: "script" });
    const parts = migrationsOf(found[0].fix!.sql);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe('ALTER TABLE "Coupon" VALIDATE CONSTRAINT "Coupon_code_len";');
    await reset();
    for (const part of parts) expect(await sendAsScript(db, part)).toBe("ok");
  });

  it("a DROP INDEX alone in its file keeps CONCURRENTLY in place: a one-statement script runs outside a transaction", async () => {
    const found = check(indexLocking, prismaFiles('DROP INDEX "Shelf_label_key";\n'), { framework: "prisma", sends: "script" });
    expect(found[0].fix?.placement).toBe("replace");
    await reset();
    expect(await sendAsScript(db, found[0].fix!.sql)).toBe("ok");
  });
});

describe("the same migration already locks the table ACCESS EXCLUSIVE", () => {
  it("statement by statement (Prisma 7.4 and later): a DROP INDEX beside an ALTER TABLE that locks the same table is NOTED, no fix, naming that line", () => {
    const change = 'DROP INDEX "Shelf_label_key";\nALTER TABLE "Shelf" ADD COLUMN "note" TEXT;\n';
    const found = check(indexLocking, prismaFiles(change), { framework: "prisma", sends: "split" });
    const drop = found.find((f) => f.message.startsWith("DROP INDEX"))!;
    expect(drop.severity).toBe("noted");
    expect(drop.fix).toBeUndefined();
    expect(drop.message).toBe("DROP INDEX Shelf_label_key takes an ACCESS EXCLUSIVE lock on Shelf, but the ALTER TABLE at line 2 of this migration takes the same lock on Shelf anyway.");
    // A lock on another table does not count.
    const other = check(indexLocking, prismaFiles('DROP INDEX "Shelf_label_key";\nALTER TABLE "Guest" ADD COLUMN "note" TEXT;\n'), { framework: "prisma", sends: "split" });
    expect(other.find((f) => f.message.startsWith("DROP INDEX"))?.severity).toBe("routine");
  });

  it("a DROP INDEX after an ALTER TABLE that took ACCESS EXCLUSIVE on the same table: NOTED, no CONCURRENTLY fix", () => {
    const change = 'ALTER TABLE "Shelf" ALTER COLUMN label TYPE varchar(80);\nDROP INDEX "Shelf_label_key";\n';
    const found = check(indexLocking, prismaFiles(change), { framework: "supabase", runsInTransaction: true });
    const drop = found.find((f) => f.message.startsWith("DROP INDEX"))!;
    expect(drop.severity).toBe("noted");
    expect(drop.fix).toBeUndefined();
    expect(drop.message).toContain("line 1");
  });
});
