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

/** The conflict clause the advice gives after `INSERT ... VALUES (...), (...)`. */
function conflictClause(message: string): string {
  const m = /`INSERT \.\.\. VALUES \(\.\.\.\), \(\.\.\.\) (ON CONFLICT [^`]+)`/.exec(message);
  if (!m) throw new Error(`no conflict clause in: ${message}`);
  return m[1];
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

  it("`update: {}` with the rows used: a no-op DO UPDATE that returns every row and keeps the existing role", async () => {
    const [f] = findings(keepLoop(true));
    expect(f.severity).toBe("routine");
    const clause = conflictClause(f.message);
    expect(clause).toBe("ON CONFLICT (workspace_id, user_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id RETURNING *");
    expect(f.message).toContain("sent with `$queryRaw`");
    expect(f.message).not.toContain("col = EXCLUDED.col");
    await fresh("keep_used");
    await pg().exec("INSERT INTO workspaces VALUES ('w1', null), ('w2', null); INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'admin')");
    const { rows } = await pg().query<{ workspace_id: string; role: string }>(
      `INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'viewer'), ('w2', 'u1', 'viewer') ${clause}`,
    );
    // Both items come back, as each upsert returned its row; the existing membership keeps its role.
    expect(rows.map((r) => `${r.workspace_id} ${r.role}`).sort()).toEqual(["w1 admin", "w2 viewer"]);
    // DO NOTHING would have returned the inserted row only: why the advice does not use it here.
    const nothing = await pg().query(`INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'viewer'), ('w2', 'u2', 'viewer') ON CONFLICT (workspace_id, user_id) DO NOTHING RETURNING *`);
    expect(nothing.rows).toHaveLength(1);
  });

  it("`update: {}` with the result unused: ON CONFLICT DO NOTHING", async () => {
    const [f] = findings(keepLoop(false));
    const clause = conflictClause(f.message);
    expect(clause).toBe("ON CONFLICT (workspace_id, user_id) DO NOTHING");
    expect(f.message).toContain("sent with `$executeRaw`");
    expect(f.message).toContain("which keeps an existing row as it is, as `update: {}` does");
    await fresh("keep_unused");
    await pg().exec("INSERT INTO workspaces VALUES ('w1', null); INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'admin')");
    await pg().exec(`INSERT INTO members (workspace_id, user_id, role) VALUES ('w1', 'u1', 'viewer'), ('w1', 'u2', 'viewer') ${clause}`);
    const { rows } = await pg().query<{ user_id: string; role: string }>("SELECT user_id, role FROM members ORDER BY user_id");
    expect(rows).toEqual([{ user_id: "u1", role: "admin" }, { user_id: "u2", role: "viewer" }]);
  });

  it("an upsert whose where also names a column outside the key keeps that filter, and returns the rows it uses", async () => {
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
    const clause = conflictClause(f.message);
    expect(clause).toBe("ON CONFLICT (id) DO UPDATE SET col = EXCLUDED.col WHERE invoice_lines.invoice_id = EXCLUDED.invoice_id RETURNING *");
    expect(f.message).toContain("sent with `$queryRaw`");
    await fresh("guarded");
    await pg().exec("INSERT INTO invoice_lines VALUES (1, 'a', 10, 1), (2, 'b', 20, 1)");
    await pg().exec(`INSERT INTO invoice_lines (id, invoice_id, amount, position) VALUES (1, 'a', 11, 1), (2, 'a', 21, 2) ${clause.replace("col = EXCLUDED.col", "amount = EXCLUDED.amount")}`);
    const { rows } = await pg().query<{ id: number; amount: number }>("SELECT id, amount FROM invoice_lines ORDER BY id");
    // Line 2 belongs to another invoice: the per-row upsert would not have touched it, and neither does this.
    expect(rows).toEqual([{ id: 1, amount: 11 }, { id: 2, amount: 20 }]);
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
