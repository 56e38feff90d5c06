// n-plus-one on an UPDATE per item that moves each row's own column by one amount (`position: l.position - 1`):
// the same write for every row, batched with `decrement`; NOTED with the duplicate-key caveat when the
// column is part of a unique index, which PGlite confirms below.
import { describe, expect, it } from "vitest";
import { nPlusOne } from "../../src/rules/n-plus-one.js";
import { patternsOf } from "../queries/clients/support.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";
import { pgliteForFile } from "../support/pglite.js";

const db = pgliteForFile();

const SQL = `
  CREATE TABLE "Lesson" (id text PRIMARY KEY, "courseId" text NOT NULL, position int NOT NULL);
  CREATE UNIQUE INDEX "Lesson_courseId_position_key" ON "Lesson" ("courseId", position);
  CREATE TABLE "Track" (id text PRIMARY KEY, "albumId" text NOT NULL, position int NOT NULL, title text NOT NULL);
  CREATE UNIQUE INDEX "Track_albumId_key" ON "Track" ("albumId");
`;

const PRISMA = `
model Lesson { id String @id
  courseId String
  position Int
  @@unique([courseId, position]) }
model Track { id String @id
  albumId String @unique
  position Int
  title String }
`;

function findings(body: string) {
  const code = `import { prisma } from "./db";\nexport async function removeOne(id: string, later: Array<{ id: string; position: number; title: string }>, by: number) {\n  ${body}\n}`;
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns: patternsOf(code, { prisma: PRISMA }), problems: [], config: config() });
}

describe("n-plus-one: each row's own column shifted by one amount", () => {
  it.each([
    ["`position: t.position - 1`", "await prisma.$transaction(later.map((t) => prisma.track.update({ where: { id: t.id }, data: { position: t.position - 1 } })));"],
    ["`{ decrement: by }` in a for...of", "for (const t of later) {\n    await prisma.track.update({ where: { id: t.id }, data: { position: { decrement: by } } });\n  }"],
  ])("%s, no unique index on it: ROUTINE, one updateMany with decrement, not per-row values", (_name, body) => {
    const [f, ...rest] = findings(body);
    expect(rest).toEqual([]);
    expect(f.severity).toBe("routine");
    expect(f.message).toContain("Every row's `position` moves by the same amount");
    expect(f.message).toContain("`updateMany({ where: { id: { in: ids } }, data: { position: { decrement: n } } })`");
    expect(f.message).toContain('`UPDATE "Track" SET "position" = "position" - n WHERE id = ANY($1)`');
    expect(f.message).not.toContain("Each row gets its own values");
    expect(f.message).not.toContain("duplicate key");
  });

  it("`position: t.position + by`: the advice increments", () => {
    const [f] = findings("for (const t of later) {\n    await prisma.track.update({ where: { id: t.id }, data: { position: t.position + by } });\n  }");
    expect(f.message).toContain("`updateMany({ where: { id: { in: ids } }, data: { position: { increment: n } } })`");
    expect(f.message).toContain('SET "position" = "position" + n');
  });

  it("a shifted column another written value varies beside (`title: t.title`): still per-row values", () => {
    const [f] = findings("await prisma.$transaction(later.map((t) => prisma.track.update({ where: { id: t.id }, data: { position: t.position - 1, albumId: t.title } })));");
    expect(f.message).toContain("Each row gets its own values");
  });

  it("the shifted column is in a unique index: NOTED, naming the index and the deferrable constraint", () => {
    const [f] = findings("await prisma.$transaction(later.map((l) => prisma.lesson.update({ where: { id: l.id }, data: { position: l.position - 1 } })));");
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("`updateMany({ where: { id: { in: ids } }, data: { position: { decrement: n } } })`");
    expect(f.message).toContain('`Lesson_courseId_position_key` is unique on ("courseId", "position")');
    expect(f.message).toContain("checks a non-deferrable unique constraint row by row");
    expect(f.message).toContain("where the loop's updates, one row at a time in order, succeed");
    expect(f.message).toContain('`ALTER TABLE "Lesson" ADD CONSTRAINT ... UNIQUE ("courseId", "position") DEFERRABLE INITIALLY DEFERRED`');
    expect(f.message).toContain("until it is deferrable, so this is noted, not routine");
  });

  it("per-row values written to a column of a unique index (a reorder): NOTED, without claiming the loop succeeds", () => {
    const [f] = findings("await prisma.$transaction(later.map((l, i) => prisma.lesson.update({ where: { id: l.id }, data: { position: i } })));");
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("Each row gets its own values");
    expect(f.message).toContain("can fail with a duplicate key (23505)");
    expect(f.message).not.toContain("the loop's updates");
  });

  it("per-row text values written to a column of a unique index (a new key per row): ROUTINE, no caveat", () => {
    const [f] = findings("await prisma.$transaction(later.map((t) => prisma.track.update({ where: { id: t.id }, data: { albumId: t.title } })));");
    expect(f.severity).toBe("routine");
    expect(f.message).toContain("Each row gets its own values");
    expect(f.message).not.toContain("duplicate key");
  });

  it("PostgreSQL: the set-based shift fails on a non-deferrable unique index, the ordered loop does not, a deferred constraint allows it", async () => {
    const pg = db();
    await pg.exec(`
      CREATE TABLE lesson (id int PRIMARY KEY, course_id int NOT NULL, position int NOT NULL);
      CREATE UNIQUE INDEX lesson_course_id_position_key ON lesson (course_id, position);
      -- Stored last position first, so a sequential scan visits position 3 before 2.
      INSERT INTO lesson VALUES (3, 1, 3), (2, 1, 2), (1, 1, 1);
      DELETE FROM lesson WHERE id = 1;`);
    await expect(pg.query("UPDATE lesson SET position = position - 1 WHERE id = ANY($1)", [[2, 3]])).rejects.toMatchObject({ code: "23505" });
    // The loop, one row at a time in ascending order, succeeds.
    await pg.exec("BEGIN; UPDATE lesson SET position = 1 WHERE id = 2; UPDATE lesson SET position = 2 WHERE id = 3; ROLLBACK;");
    await pg.exec(`
      DROP INDEX lesson_course_id_position_key;
      ALTER TABLE lesson ADD CONSTRAINT lesson_course_id_position_key UNIQUE (course_id, position) DEFERRABLE INITIALLY DEFERRED;`);
    await pg.query("UPDATE lesson SET position = position - 1 WHERE id = ANY($1)", [[2, 3]]);
    const rows = await pg.query<{ id: number; position: number }>("SELECT id, position FROM lesson ORDER BY id");
    expect(rows.rows).toEqual([{ id: 2, position: 1 }, { id: 3, position: 2 }]);
  });
  it("`title: t.title + suffix` on a text column is a value per row, not a shift: no increment advice", () => {
    const [f] = findings('const suffix = " (old)";\n  await prisma.$transaction(later.map((t) => prisma.track.update({ where: { id: t.id }, data: { title: t.title + suffix } })));');
    expect(f.message).toContain("Each row gets its own values");
    expect(f.message).not.toMatch(/increment|decrement/);
  });
});
