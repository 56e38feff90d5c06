// A Prisma `some` relation filter sends `"id" IN (SELECT "boardId" FROM "Card" WHERE ... AND "boardId" IS NOT
// NULL)`. The planner runs it as a semi-join: when the outer query is pinned by an indexed equality and the
// related table has an index leading with its foreign key, it finds the outer rows first and probes the
// related table once per row (Nested Loop Semi Join), so the related rows are reached through the join and
// an index on the inner filter column is not needed. With no pin, or with `none` (NOT IN, a hashed subplan),
// the related table is read by the inner filter alone. Plans are PGlite's (PostgreSQL 18) under a generic
// plan, as a client binding parameters gets.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessPattern, FindingDraft } from "../../src/core/types.js";
import { queryIndex } from "../../src/rules/query-index.js";
import { initParser } from "../../src/sql/parser.js";
import { patternsOf } from "../queries/clients/support.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";
import { startPGlite } from "../support/pglite.js";

let db: PGlite;
beforeAll(async () => {
  await initParser();
  db = await startPGlite();
});
afterAll(() => db.close());

async function genericPlan(setup: string, query: string, types: string[], args: string[], fix?: string): Promise<string> {
  await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET plan_cache_mode = force_generic_plan;");
  await db.exec(setup);
  for (const statement of fix?.split("\n") ?? []) await db.exec(statement);
  await db.exec("ANALYZE;");
  await db.exec(`PREPARE q(${types.join(", ")}) AS ${query}`);
  try {
    const res = await db.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE q(${args.join(", ")})`);
    return JSON.stringify(res.rows[0]["QUERY PLAN"]);
  } finally {
    await db.exec("DEALLOCATE q; RESET plan_cache_mode;");
  }
}

function findingsOf(sql: string, prisma: string, code: string): FindingDraft[] {
  const patterns: AccessPattern[] = patternsOf(`import { prisma } from "@acme/db";\n${code}`, { prisma });
  return queryIndex.check({ set: setOf("db", []), statements: [], schema: schemaOf(sql), patterns, problems: [], config: config() });
}

const BOARDS = `CREATE TABLE "Board" (id bigint PRIMARY KEY, "workspaceId" bigint NOT NULL, archived boolean NOT NULL DEFAULT false);
CREATE INDEX "Board_workspaceId_idx" ON "Board" ("workspaceId");
CREATE TABLE "Card" (id bigint PRIMARY KEY, "boardId" bigint NOT NULL REFERENCES "Board" (id) ON DELETE CASCADE, label text, pinned boolean NOT NULL DEFAULT false);
`;
const CARD_FK_INDEX = `CREATE INDEX "Card_boardId_idx" ON "Card" ("boardId");\n`;
const BOARDS_PRISMA = `
model Board { id BigInt @id
  workspaceId BigInt
  archived Boolean @default(false)
  cards Card[]
  @@index([workspaceId]) }
model Card { id BigInt @id
  boardId BigInt
  board Board @relation(fields: [boardId], references: [id], onDelete: Cascade)
  label String?
  pinned Boolean @default(false) }
`;
const BOARD_ROWS = `INSERT INTO "Board" SELECT g, g % 1000, false FROM generate_series(1, 100000) g;
INSERT INTO "Card" SELECT g, 1 + g % 100000, 'l' || (g % 50000), g % 2 = 0 FROM generate_series(1, 300000) g;
`;
// What Prisma sends for the `some` filter below.
const SOME_SQL = `SELECT t0.id FROM "Board" t0 WHERE t0."workspaceId" = $1 AND t0.id IN (SELECT t1."boardId" FROM "Card" t1 WHERE t1.label IN ($2, $3) AND t1.pinned = $4 AND t1."boardId" IS NOT NULL)`;
const SOME_CODE = `export async function pinnedBoards(workspaceId: bigint, labels: string[]) {
  return prisma.board.findMany({ where: { workspaceId, cards: { some: { label: { in: labels }, pinned: true } } } });
}`;

const onTable = (findings: FindingDraft[], table: string) => findings.filter((f) => f.table === `public.${table}`);

describe("a `some` filter under a pinned outer query is a semi-join", () => {
  it("with the foreign key indexed, the related rows are reached through the join: no finding, and the planner probes Card by boardId", async () => {
    expect(onTable(findingsOf(BOARDS + CARD_FK_INDEX, BOARDS_PRISMA, SOME_CODE), "Card")).toEqual([]);
    const plan = await genericPlan(BOARDS + CARD_FK_INDEX + BOARD_ROWS, SOME_SQL, ["bigint", "text", "text", "boolean"], ["5", "'l10'", "'l20'", "true"]);
    expect(plan).toContain('"Join Type":"Semi"');
    expect(plan).toContain('"Index Name":"Board_workspaceId_idx"');
    expect(plan).toContain('"Index Name":"Card_boardId_idx"');
  });

  it("without the foreign key's index, the advice is that index, not one on the inner filter, and the planner then uses it", async () => {
    const cards = onTable(findingsOf(BOARDS, BOARDS_PRISMA, SOME_CODE), "Card");
    expect(cards).toHaveLength(1);
    expect(cards[0].columns[0]).toBe("boardId");
    expect(cards[0].columns).not.toContain("label");
    expect(cards[0].details).toContain("semi-join from Board, which workspaceId pins");
    expect(cards[0].fix!.sql).toContain('("boardId")');

    const before = await genericPlan(BOARDS + BOARD_ROWS, SOME_SQL, ["bigint", "text", "text", "boolean"], ["5", "'l10'", "'l20'", "true"]);
    expect(before).toContain('"Node Type":"Seq Scan","Parent Relationship":"Outer","Parallel Aware":false,"Async Capable":false,"Relation Name":"Card"');
    const after = await genericPlan(BOARDS + BOARD_ROWS, SOME_SQL, ["bigint", "text", "text", "boolean"], ["5", "'l10'", "'l20'", "true"], cards[0].fix!.sql);
    expect(after).toContain('"Join Type":"Semi"');
    expect(after).toContain(`"Index Name":"${cards[0].fix!.sql.match(/INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?"?([^"\s(]+)"?/)![1]}"`);
  });

  it("with no pin on the outer query, the related table is read by the inner filter alone: the advice stays on label", async () => {
    const code = `export async function anyPinned(labels: string[]) {
  return prisma.board.findMany({ where: { archived: false, cards: { some: { label: { in: labels } } } } });
}`;
    const cards = onTable(findingsOf(BOARDS + CARD_FK_INDEX, BOARDS_PRISMA, code), "Card");
    expect(cards.map((f) => f.columns)).toEqual([["label"]]);
    const plan = await genericPlan(
      BOARDS + CARD_FK_INDEX + BOARD_ROWS,
      `SELECT t0.id FROM "Board" t0 WHERE t0.archived = $1 AND t0.id IN (SELECT t1."boardId" FROM "Card" t1 WHERE t1.label IN ($2, $3) AND t1."boardId" IS NOT NULL)`,
      ["boolean", "text", "text"],
      ["false", "'l10'", "'l20'"],
    );
    expect(plan).not.toContain('"Index Name":"Card_boardId_idx"');
    expect(plan).toContain('"Relation Name":"Card"');
  });

  it("`none` is NOT IN, a hashed subplan that reads the related rows by the inner filter: the advice stays on label", async () => {
    const code = `export async function unpinnedBoards(workspaceId: bigint, labels: string[]) {
  return prisma.board.findMany({ where: { workspaceId, cards: { none: { label: { in: labels } } } } });
}`;
    const cards = onTable(findingsOf(BOARDS + CARD_FK_INDEX, BOARDS_PRISMA, code), "Card");
    expect(cards.map((f) => f.columns)).toEqual([["label"]]);
    const plan = await genericPlan(
      BOARDS + CARD_FK_INDEX + BOARD_ROWS,
      `SELECT t0.id FROM "Board" t0 WHERE t0."workspaceId" = $1 AND t0.id NOT IN (SELECT t1."boardId" FROM "Card" t1 WHERE t1.label IN ($2, $3) AND t1."boardId" IS NOT NULL)`,
      ["bigint", "text", "text"],
      ["5", "'l10'", "'l20'"],
    );
    expect(plan).toContain("hashed SubPlan");
    expect(plan).not.toContain('"Index Name":"Card_boardId_idx"');
  });
});

describe("a `some` filter behind a to-one relation filter", () => {
  const SHELF = `CREATE TABLE "Book" (id text PRIMARY KEY, title text);
CREATE TABLE "Edition" (id text PRIMARY KEY, "bookId" text NOT NULL REFERENCES "Book" (id) ON DELETE CASCADE, isbn text, current boolean NOT NULL DEFAULT false);
CREATE INDEX "Edition_bookId_idx" ON "Edition" ("bookId");
CREATE TABLE "Placement" (id text PRIMARY KEY, "roomId" text NOT NULL, "bookId" text NOT NULL REFERENCES "Book" (id));
CREATE UNIQUE INDEX "Placement_roomId_bookId_key" ON "Placement" ("roomId", "bookId");
`;
  const SHELF_PRISMA = `
model Book { id String @id
  title String?
  editions Edition[]
  placements Placement[] }
model Edition { id String @id
  bookId String
  book Book @relation(fields: [bookId], references: [id], onDelete: Cascade)
  isbn String?
  current Boolean @default(false)
  @@index([bookId]) }
model Placement { id String @id
  roomId String
  bookId String
  book Book @relation(fields: [bookId], references: [id])
  @@unique([roomId, bookId]) }
`;
  it("the room's placements pin the books, whose editions are probed by bookId: no finding on Edition, and the planner agrees", async () => {
    const code = `export async function placedByIsbn(roomId: string, isbns: string[]) {
  return prisma.placement.findMany({ where: { roomId, book: { editions: { some: { isbn: { in: isbns }, current: true } } } } });
}`;
    const findings = findingsOf(SHELF, SHELF_PRISMA, code);
    expect(onTable(findings, "Edition")).toEqual([]);
    const rows = `INSERT INTO "Book" SELECT 'b' || g, 't' FROM generate_series(1, 120000) g;
INSERT INTO "Edition" SELECT 'e' || g, 'b' || g, CASE WHEN g % 5 = 0 THEN 'i' || g END, true FROM generate_series(1, 120000) g;
INSERT INTO "Placement" SELECT 'p' || g, 'r' || (g % 1000), 'b' || g FROM generate_series(1, 100000) g;`;
    // What Prisma sends: the to-one filter is an IN on bookId, the `some` an IN on the book's id.
    const plan = await genericPlan(
      SHELF + rows,
      `SELECT t0.id FROM "Placement" t0 WHERE t0."roomId" = $1 AND t0."bookId" IN (SELECT t1.id FROM "Book" t1 WHERE t1.id IN (SELECT t2."bookId" FROM "Edition" t2 WHERE t2.current = $2 AND t2.isbn IN ($3, $4) AND t2."bookId" IS NOT NULL) AND t1.id IS NOT NULL)`,
      ["text", "boolean", "text", "text"],
      ["'r5'", "true", "'i5005'", "'i6005'"],
    );
    expect(plan).toContain('"Index Name":"Placement_roomId_bookId_key"');
    expect(plan).toContain('"Index Name":"Edition_bookId_idx"');
  });

  it("with no pin on the placements, the editions are read by isbn: the advice stays on isbn", () => {
    const code = `export async function anyByIsbn(isbns: string[]) {
  return prisma.placement.findMany({ where: { book: { editions: { some: { isbn: { in: isbns } } } } } });
}`;
    expect(onTable(findingsOf(SHELF, SHELF_PRISMA, code), "Edition").map((f) => f.columns)).toEqual([["isbn"]]);
  });
});
