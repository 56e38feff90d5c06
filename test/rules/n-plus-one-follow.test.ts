// n-plus-one advice that does what the loop body does: an upsert that keeps existing rows stays one that
// keeps them, a result the loop uses is returned, filters beside the per-item key stay, and a write that
// depends on an earlier query of the iteration applies only to what that query found (or did not).
// Each statement the advice gives is run in PostgreSQL against the schema.
import { beforeAll, describe, expect, it } from "vitest";
import { nPlusOne } from "../../src/rules/n-plus-one.js";
import { patternsOf } from "../queries/clients/support.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";
import { pgliteForFile } from "../support/pglite.js";

const pg = pgliteForFile();

const SQL = `
  CREATE TABLE workspaces (id text PRIMARY KEY, name text);
  CREATE TABLE members (id serial PRIMARY KEY, workspace_id text NOT NULL REFERENCES workspaces, user_id text NOT NULL, role text NOT NULL, UNIQUE (workspace_id, user_id));
  CREATE TABLE invoice_lines (id int PRIMARY KEY, invoice_id text NOT NULL, amount int, position int NOT NULL);
  CREATE TABLE visit_facts (id serial PRIMARY KEY, visit_id uuid NOT NULL, fact_key text NOT NULL, fact_value text);
  CREATE TABLE shelves (id uuid PRIMARY KEY, room_id uuid NOT NULL);
  CREATE TABLE boxes (id uuid PRIMARY KEY, shelf_id uuid NOT NULL REFERENCES shelves, label text, archived_at timestamptz);
  CREATE TABLE suggestions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), inbox_id uuid NOT NULL, payment_id uuid NOT NULL, team_id uuid NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
`;

const PRISMA = `
model Workspace { id String @id
  name String?
  @@map("workspaces") }
model Member { id Int @id @default(autoincrement())
  workspaceId String @map("workspace_id")
  userId String @map("user_id")
  role String
  @@unique([workspaceId, userId])
  @@map("members") }
model InvoiceLine { id Int @id
  invoiceId String @map("invoice_id")
  amount Int?
  position Int
  @@map("invoice_lines") }
model VisitFact { id Int @id @default(autoincrement())
  visitId String @map("visit_id") @db.Uuid
  factKey String @map("fact_key")
  factValue String? @map("fact_value")
  @@map("visit_facts") }
`;

const DRIZZLE = `
import { pgTable, uuid, text, timestamp } from "drizzle-orm/pg-core";
export const shelves = pgTable("shelves", { id: uuid("id").primaryKey(), roomId: uuid("room_id").notNull() });
export const boxes = pgTable("boxes", { id: uuid("id").primaryKey(), shelfId: uuid("shelf_id").notNull(), label: text("label"), archivedAt: timestamp("archived_at") });
export const suggestions = pgTable("suggestions", { id: uuid("id").primaryKey(), inboxId: uuid("inbox_id").notNull(), paymentId: uuid("payment_id").notNull(), teamId: uuid("team_id").notNull(), status: text("status").notNull(), createdAt: timestamp("created_at").notNull() });
`;

function findings(code: string, declared: { prisma?: string; drizzle?: string } = { prisma: PRISMA }) {
  const patterns = patternsOf(code, declared);
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns, problems: [], config: config() });
}

/** A fresh copy of the schema in its own PostgreSQL schema, so each test starts empty. */
async function fresh(name: string): Promise<void> {
  await pg().exec(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}; SET search_path TO ${name}; ${SQL}`);
}

const prismaHead = 'import { prisma } from "./db";\n';

describe("n-plus-one: a batched upsert does what the per-row upsert did", () => {
  const keepLoop = (store: boolean) =>
    prismaHead +
    [
      "export async function join(userId: string, body: { workspaceIds: string[] }) {",
      "  const joined = new Map<string, { id: number }>();",
      "  for (const workspaceId of body.workspaceIds) {",
      `    ${store ? "const membership = " : ""}await prisma.member.upsert({`,
      "      where: { workspaceId_userId: { workspaceId, userId } },",
      "      update: {},",
      '      create: { workspaceId, userId, role: "viewer" },',
      "    });",
      store ? "    joined.set(workspaceId, membership);" : "",
      "  }",
      "  return joined;",
      "}",
    ].join("\n");

  it("`update: {}` with the rows used: createMany skipping duplicates, then one findMany that returns every item's row", async () => {
    const [f] = findings(keepLoop(true));
    expect(f.severity).toBe("routine");
    expect(f.message).toContain("write them with one `createMany({ data: rows, skipDuplicates: true })`, which sends `INSERT ... ON CONFLICT DO NOTHING` and keeps an existing row as it is, as `update: {}` does");
    expect(f.message).toContain("then one `findMany({ where: { workspaceId: { in: keys }, ... } })` for the rows the loop uses, new or existing");
    expect(f.message).not.toContain("$queryRaw");
    await fresh("keep_used");
    await pg().exec("INSERT INTO workspaces VALUES ('w1', null), ('w2', null); INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'admin')");
    // What the two calls send: the insert skips the existing membership, the read returns both items' rows.
    const inserted = await pg().query("INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'viewer'), ('w2', 'u1', 'viewer') ON CONFLICT DO NOTHING RETURNING *");
    expect(inserted.rows).toHaveLength(1);
    const { rows } = await pg().query<{ workspace_id: string; role: string }>("SELECT * FROM members WHERE workspace_id = ANY($1) AND user_id = $2", [["w1", "w2"], "u1"]);
    expect(rows.map((r) => `${r.workspace_id} ${r.role}`).sort()).toEqual(["w1 admin", "w2 viewer"]);
  });

  it("`update: {}` with the result unused: createMany skipping duplicates, no raw SQL", async () => {
    const [f] = findings(keepLoop(false));
    expect(f.message).toContain("write them with one `createMany({ data: rows, skipDuplicates: true })`, which sends `INSERT ... ON CONFLICT DO NOTHING` and keeps an existing row as it is");
    expect(f.message).not.toContain("findMany");
    expect(f.message).not.toContain("$executeRaw");
    await fresh("keep_unused");
    await pg().exec("INSERT INTO workspaces VALUES ('w1', null); INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'admin')");
    await pg().exec("INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'viewer'), ('w1', 'u2', 'viewer') ON CONFLICT DO NOTHING");
    const { rows } = await pg().query<{ user_id: string; role: string }>("SELECT user_id, role FROM members ORDER BY user_id");
    expect(rows).toEqual([{ user_id: "u1", role: "admin" }, { user_id: "u2", role: "viewer" }]);
  });

  it("values that change per item: one UPDATE ... FROM (VALUES) of the update fields only, keeping the other filter, then createMany and a findMany", async () => {
    const code =
      prismaHead +
      [
        "export async function save(invoiceId: string, body: { lines: Array<{ id: number; amount: number; position: number }> }) {",
        "  const saved = [];",
        "  for (const line of body.lines) {",
        "    const row = await prisma.invoiceLine.upsert({",
        "      where: { id: line.id, invoiceId },",
        "      update: { amount: line.amount },",
        "      create: { id: line.id, invoiceId, amount: line.amount, position: line.position },",
        "    });",
        "    saved.push(row);",
        "  }",
        "  return saved;",
        "}",
      ].join("\n");
    const [f] = findings(code);
    const update = /`(UPDATE [^`]+)` with `\$executeRaw`/.exec(f.message)?.[1];
    expect(update).toBe("UPDATE invoice_lines AS t SET amount = v.amount FROM (VALUES ...) AS v(id, amount) WHERE t.id = v.id AND ...");
    expect(f.message).toContain("sets only amount on the rows that exist (as `update` does, keeping the query's other conditions (invoice_id))");
    expect(f.message).toContain("then one `createMany({ data: rows, skipDuplicates: true })`");
    expect(f.message).toContain("then one `findMany({ where: { id: { in: keys }, ... } })`");
    expect(f.message).not.toContain("EXCLUDED");
    await fresh("guarded");
    await pg().exec("INSERT INTO invoice_lines VALUES (1, 'a', 10, 1), (2, 'b', 20, 1)");
    // The advice's statement with its elisions filled in: the items' values, and the other condition.
    await pg().exec(update!.replace("(VALUES ...)", "(VALUES (1, 11), (2, 21), (3, 31))").replace(" AND ...", " AND t.invoice_id = 'a'"));
    await pg().exec("INSERT INTO invoice_lines (id, invoice_id, amount, position) VALUES (1, 'a', 11, 1), (2, 'a', 21, 2), (3, 'a', 31, 3) ON CONFLICT DO NOTHING");
    const { rows } = await pg().query<{ id: number; invoice_id: string; amount: number; position: number }>("SELECT * FROM invoice_lines ORDER BY id");
    // Line 2 belongs to another invoice: the per-row upsert would not have touched it, and neither does this; position 1 stays.
    expect(rows).toEqual([
      { id: 1, invoice_id: "a", amount: 11, position: 1 },
      { id: 2, invoice_id: "b", amount: 20, position: 1 },
      { id: 3, invoice_id: "a", amount: 31, position: 3 },
    ]);
  });

  it("an update object that leaves a column alone, on a table whose id and update time Prisma generates: updateMany of that object, then createMany, never a raw INSERT", async () => {
    await pg().exec(`DROP SCHEMA IF EXISTS grants CASCADE; CREATE SCHEMA grants; SET search_path TO grants;
      CREATE TABLE "ShelfGrant" (id text PRIMARY KEY, "roleId" text NOT NULL, "shelfId" text NOT NULL, "canRead" boolean NOT NULL DEFAULT false,
        "canExport" boolean NOT NULL DEFAULT false, "updatedAt" timestamp(3) NOT NULL);
      CREATE UNIQUE INDEX "ShelfGrant_roleId_shelfId_key" ON "ShelfGrant" ("roleId", "shelfId");`);
    const sql = `CREATE TABLE "ShelfGrant" (id text PRIMARY KEY, "roleId" text NOT NULL, "shelfId" text NOT NULL, "canRead" boolean NOT NULL DEFAULT false, "canExport" boolean NOT NULL DEFAULT false, "updatedAt" timestamp(3) NOT NULL);
      CREATE UNIQUE INDEX "ShelfGrant_roleId_shelfId_key" ON "ShelfGrant" ("roleId", "shelfId");`;
    const prisma = `model ShelfGrant { id String @id @default(cuid())
  roleId String
  shelfId String
  canRead Boolean @default(false)
  canExport Boolean @default(false)
  updatedAt DateTime @updatedAt
  @@unique([roleId, shelfId]) }`;
    const code =
      prismaHead +
      [
        "export async function openAncestors(roleId: string, shelfIds: string[]) {",
        "  for (const shelfId of shelfIds) {",
        "    await prisma.shelfGrant.upsert({",
        "      where: { roleId_shelfId: { roleId, shelfId } },",
        "      create: { roleId, shelfId, canRead: true, canExport: false },",
        "      update: { canRead: true },",
        "    });",
        "  }",
        "}",
      ].join("\n");
    const [f] = nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(sql), patterns: patternsOf(code, { prisma }), problems: [], config: config() });
    expect(f.message).toContain(
      "write them in two calls: one `updateMany({ where: { shelfId: { in: keys }, ... }, data })` with the `update` object as `data`, which sets only canRead on the rows that exist",
    );
    expect(f.message).toContain("then one `createMany({ data: rows, skipDuplicates: true })`, which sends `INSERT ... ON CONFLICT DO NOTHING` for the rest; in that order, so the rows just created keep their `create` values");
    expect(f.message).toContain("both calls let Prisma fill the values a model generates in the client (`@default(cuid())`, `@updatedAt`), which a raw `INSERT` would have to supply");
    expect(f.message).not.toMatch(/EXCLUDED|INSERT \.\.\. VALUES/);
    // A raw INSERT ... ON CONFLICT DO UPDATE that leaves out what Prisma generates fails on NOT NULL.
    await pg().exec(`INSERT INTO "ShelfGrant" VALUES ('g1', 'r1', 's1', false, true, now())`);
    await expect(
      pg().exec(`INSERT INTO "ShelfGrant" ("roleId", "shelfId", "canRead", "canExport") VALUES ('r1', 's1', true, false), ('r1', 's2', true, false) ON CONFLICT ("roleId", "shelfId") DO UPDATE SET "canRead" = EXCLUDED."canRead", "canExport" = EXCLUDED."canExport"`),
    ).rejects.toThrow(/null value in column "id"/);
    // What the two client calls send: the update keeps s1's export right, the insert adds s2 with Prisma's generated values.
    await pg().query(`UPDATE "ShelfGrant" SET "canRead" = true, "updatedAt" = now() WHERE "roleId" = $1 AND "shelfId" = ANY($2)`, ["r1", ["s1", "s2"]]);
    await pg().exec(`INSERT INTO "ShelfGrant" (id, "roleId", "shelfId", "canRead", "canExport", "updatedAt") VALUES ('c1', 'r1', 's1', true, false, now()), ('c2', 'r1', 's2', true, false, now()) ON CONFLICT DO NOTHING`);
    const { rows } = await pg().query(`SELECT "shelfId", "canRead", "canExport" FROM "ShelfGrant" ORDER BY "shelfId"`);
    expect(rows).toEqual([
      { shelfId: "s1", canRead: true, canExport: true },
      { shelfId: "s2", canRead: true, canExport: false },
    ]);
  });
});

describe("n-plus-one: an upsert whose unique key the reader cannot name", () => {
  it("a compound unique named in the schema: the advice says `key` for its columns, never a column it did not see, and names the mapped column", async () => {
    const sql = `CREATE TABLE feeds (id text PRIMARY KEY, source_id text NOT NULL, remote_id text NOT NULL, "primary" text, pinned boolean NOT NULL DEFAULT false);
      CREATE UNIQUE INDEX feeds_source_remote ON feeds (source_id, remote_id);`;
    const prisma = `model Feed { id String @id @default(cuid())
  sourceId String @map("source_id")
  remoteId String @map("remote_id")
  title String? @map("primary")
  pinned Boolean @default(false)
  @@unique([sourceId, remoteId], name: "source_remote")
  @@map("feeds") }`;
    const code =
      prismaHead +
      [
        "export async function sync(sourceId: string, remote: Array<{ id: string; title: string }>) {",
        "  for (const item of remote) {",
        "    await prisma.feed.upsert({",
        "      where: { source_remote: { sourceId, remoteId: item.id } },",
        "      create: { sourceId, remoteId: item.id, title: item.title },",
        "      update: { title: item.title },",
        "    });",
        "  }",
        "}",
      ].join("\n");
    const [f] = nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(sql), patterns: patternsOf(code, { prisma }), problems: [], config: config() });
    expect(f.message).toContain("`UPDATE feeds AS t SET \"primary\" = v.\"primary\" FROM (VALUES ...) AS v(key, \"primary\") WHERE t.key = v.key`");
    expect(f.message).toContain("(`key`: the columns of the unique key the upsert's `where` names)");
    expect(f.message).toContain("which sets only title on the rows that exist");
    expect(f.message).not.toContain("t.id");
    // The statement with its elisions filled in (the unique key's two columns) runs: a reserved word is quoted.
    await pg().exec(`DROP SCHEMA IF EXISTS named_key CASCADE; CREATE SCHEMA named_key; SET search_path TO named_key; ${sql}`);
    await pg().exec(`INSERT INTO feeds VALUES ('f1', 's1', 'r1', 'old', true)`);
    const update = /`(UPDATE [^`]+)` with `\$executeRaw`/.exec(f.message)![1]
      .replace("(VALUES ...) AS v(key,", "(VALUES ('s1', 'r1', 'new')) AS v(source_id, remote_id,")
      .replace("t.key = v.key", "t.source_id = v.source_id AND t.remote_id = v.remote_id");
    await pg().exec(update);
    const { rows } = await pg().query(`SELECT "primary", pinned FROM feeds`);
    expect(rows).toEqual([{ primary: "new", pinned: true }]);
  });
});

describe("n-plus-one: a write that depends on an earlier query of the same iteration", () => {
  it("update, then create when nothing matched: the update returns its keys, the insert takes only the missing items", async () => {
    const code =
      prismaHead +
      [
        "export async function saveFacts(visitId: string, facts: Array<{ key: string; value: string }>) {",
        "  for (const fact of facts) {",
        "    const result = await prisma.visitFact.updateMany({",
        "      where: { visitId, factKey: fact.key },",
        "      data: { factValue: fact.value },",
        "    });",
        "    if (result.count === 0) {",
        "      await prisma.visitFact.create({ data: { visitId, factKey: fact.key, factValue: fact.value } });",
        "    }",
        "  }",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("routine");
    expect(f.message).toContain("with `$queryRaw`");
    expect(f.message).toContain("it runs only for the items the query at line 4 matched no row for: batch that query first, with `RETURNING` its keys");
    expect(f.message).toContain("then, for the items whose keys it did not return (not every item: the others exist already), write them with one `createMany({ data: rows })`");
    const where = /WHERE (t\.\S+ = v\.\S+)(?: AND \.\.\.)?`/.exec(f.message)?.[1];
    const returning = /`RETURNING ([^`]+)`/.exec(f.message)?.[1];
    expect(where).toBe("t.fact_key = v.fact_key");
    expect(returning).toBe("t.fact_key");
    await fresh("facts");
    await pg().exec("INSERT INTO visit_facts (visit_id, fact_key, fact_value) VALUES ('00000000-0000-0000-0000-000000000001', 'plan', 'free')");
    const updated = await pg().query<{ fact_key: string }>(
      `UPDATE visit_facts AS t SET fact_value = v.col FROM (VALUES ('plan', 'pro'), ('seats', '3')) AS v(fact_key, col) WHERE ${where} AND t.visit_id = '00000000-0000-0000-0000-000000000001' RETURNING ${returning}`,
    );
    // Only `plan` existed: `seats` is the one item left to insert.
    expect(updated.rows.map((r) => r.fact_key)).toEqual(["plan"]);
  });

  it("the newest row per key keeps every filter of the loop's query, and the update after it runs on the rows it found", async () => {
    const code = [
      'import { and, eq, desc } from "drizzle-orm";',
      'import { db } from "./db";',
      'import { suggestions } from "./schema";',
      "export async function unmatch(teamId: string, paymentId: string, inboxIds: string[]) {",
      "  for (const inboxId of inboxIds) {",
      "    const [latest] = await db.select({ id: suggestions.id }).from(suggestions)",
      "      .where(and(eq(suggestions.inboxId, inboxId), eq(suggestions.paymentId, paymentId), eq(suggestions.teamId, teamId)))",
      "      .orderBy(desc(suggestions.createdAt)).limit(1);",
      "    if (latest) {",
      '      await db.update(suggestions).set({ status: "unmatched" }).where(eq(suggestions.id, latest.id));',
      "    }",
      "  }",
      "}",
    ].join("\n");
    const [f] = findings(code, { drizzle: DRIZZLE });
    expect(f.message).toContain("keeping the query's other conditions (payment_id, team_id)");
    expect(f.message).toContain("updates `suggestions` (line 10): it runs only for the rows the query at line 6 found: batch that query first, then run one `.update(table).set(...).where(inArray(suggestions.id, ids))`");
    const select = /`(SELECT DISTINCT ON \(inbox_id\) [^`]+)`/.exec(f.message)?.[1];
    expect(select).toBe("SELECT DISTINCT ON (inbox_id) ... WHERE inbox_id = ANY($1) AND payment_id = $2 AND team_id = $3 ORDER BY inbox_id, created_at DESC");
    await fresh("newest");
    const [inbox, payment, other, team] = ["1", "2", "3", "4"].map((d) => `00000000-0000-0000-0000-00000000000${d}`);
    await pg().exec(
      `INSERT INTO suggestions (inbox_id, payment_id, team_id, status, created_at) VALUES
        ('${inbox}', '${payment}', '${team}', 'confirmed', '2026-01-01'),
        ('${inbox}', '${other}', '${team}', 'confirmed', '2026-02-01')`,
    );
    const { rows } = await pg().query<{ payment_id: string }>(select!.replace("...", "payment_id FROM suggestions"), [[inbox], payment, team]);
    // The newer suggestion is for another payment: dropping the payment filter would have picked it.
    expect(rows.map((r) => r.payment_id)).toEqual([payment]);
  });
});

describe("n-plus-one: the batched query keeps the loop query's conditions, and only those", () => {
  it("a key in a joined table: the join is not a condition, the outer table's own condition stays", async () => {
    const code = [
      'import { and, eq, isNull } from "drizzle-orm";',
      'import { db } from "./db";',
      'import { boxes, shelves } from "./schema";',
      "export async function openBoxes(roomIds: string[]) {",
      "  return Promise.all(roomIds.map(async (roomId) => {",
      "    return db.select({ id: boxes.id }).from(boxes).innerJoin(shelves, eq(boxes.shelfId, shelves.id))",
      "      .where(and(eq(shelves.roomId, roomId), isNull(boxes.archivedAt)));",
      "  }));",
      "}",
    ].join("\n");
    const [f] = findings(code, { drizzle: DRIZZLE });
    expect(f.message).toContain("run one `.select()....where(inArray(shelves.roomId, ids))`, which sends `WHERE room_id = ANY($1)`, keeping the join to `boxes` and its conditions (archived_at)");
    expect(f.message).not.toContain("AND id = $2");
    await fresh("joined");
    const room = "00000000-0000-0000-0000-000000000001";
    await pg().exec(`INSERT INTO shelves VALUES ('${room}', '${room}'); INSERT INTO boxes VALUES ('${room}', '${room}', 'a', null), ('00000000-0000-0000-0000-000000000002', '${room}', 'b', now())`);
    const { rows } = await pg().query<{ room_id: string; label: string }>(
      "SELECT s.room_id, b.label FROM shelves s JOIN boxes b ON b.shelf_id = s.id WHERE room_id = ANY($1) AND b.archived_at IS NULL",
      [[room]],
    );
    expect(rows.map((r) => r.label)).toEqual(["a"]);
  });
});
