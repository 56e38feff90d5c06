// n-plus-one on the shapes ORM code takes: loops whose length the code fixes, writes that follow
// per-item work, the per-item key, one row per key, nested creates, and advice in the client's terms.
import { beforeAll, describe, expect, it } from "vitest";
import { nPlusOne } from "../../src/rules/n-plus-one.js";
import { initParser } from "../../src/sql/parser.js";
import { patternsOf } from "../queries/clients/support.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";

beforeAll(() => initParser());

const SQL = `
  CREATE TABLE "Group" (id text PRIMARY KEY, "organisationId" text NOT NULL, role text NOT NULL);
  CREATE TABLE "Job" (id text PRIMARY KEY, "jobId" text NOT NULL, payload jsonb);
  CREATE TABLE "Envelope" (id text PRIMARY KEY, "userId" int NOT NULL, "teamId" int NOT NULL, status text);
  CREATE TABLE "Recipient" (id serial PRIMARY KEY, "envelopeId" text NOT NULL, email text NOT NULL);
  CREATE TABLE "Field" (id serial PRIMARY KEY, "recipientId" int NOT NULL, page int);
  CREATE TABLE "DocumentData" (id text PRIMARY KEY, data text);
  CREATE TABLE suggestions (id uuid PRIMARY KEY, inbox_id uuid NOT NULL, team_id uuid NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE users (id uuid PRIMARY KEY, user_id uuid, status text);
`;

const PRISMA = `
model Group { id String @id
  organisationId String
  role String }
model Job { id String @id
  jobId String
  payload Json? }
model Envelope { id String @id
  userId Int
  teamId Int
  status String? }
model Recipient { id Int @id @default(autoincrement())
  envelopeId String
  email String
  fields Field[] }
model Field { id Int @id @default(autoincrement())
  recipientId Int
  recipient Recipient @relation(fields: [recipientId], references: [id])
  page Int? }
model DocumentData { id String @id
  data String? }
`;

const DRIZZLE = `
import { pgTable, uuid, timestamp } from "drizzle-orm/pg-core";
export const suggestions = pgTable("suggestions", { id: uuid("id").primaryKey(), inboxId: uuid("inbox_id").notNull(), teamId: uuid("team_id").notNull(), createdAt: timestamp("created_at").notNull() });
`;

function findings(code: string, declared: { prisma?: string; drizzle?: string } = { prisma: PRISMA }) {
  const patterns = patternsOf(code, declared);
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns, problems: [], config: config() });
}
const seen = (code: string, declared?: { prisma?: string; drizzle?: string }) => findings(code, declared).map((f) => `${f.severity} ${f.location.line}: ${f.message}`);

const prismaHead = 'import { prisma } from "@documenso/prisma";\n';

describe("n-plus-one: a loop over a list the code fixes is not N+1", () => {
  it.each([
    ["a literal array", `for (const role of ["ADMIN", "MEMBER", "VIEWER"]) {\n    await prisma.group.create({ data: { id: role, role, organisationId: org } });\n  }`, "a list of 3 written in the code"],
    ["a module-level constant", `await Promise.all(GROUPS.map(async (g) => prisma.group.create({ data: { id: g.id, role: g.role, organisationId: org } })));`, "`GROUPS`, a list of 2 written in the code"],
    ["an imported constant", `await Promise.all(TEAM_GROUPS.map((g) => prisma.group.create({ data: { id: g.id, role: g.role, organisationId: org } })));`, "`TEAM_GROUPS`, a constant"],
    ["the values of an enum", `for (const role of Object.values(Role)) {\n    await prisma.group.create({ data: { id: role, role, organisationId: org } });\n  }`, "the values of the enum `Role`"],
    ["a counter with a written bound", `for (let i = 0; i < 3; i++) {\n    await prisma.group.create({ data: { id: String(i), role: "x", organisationId: org } });\n  }`, "a count of 3 written in the code"],
  ])("%s: NOTED, saying the count is fixed", (_name, body, named) => {
    const code = `${prismaHead}import { TEAM_GROUPS } from "./constants";\nenum Role { Admin = "ADMIN", Member = "MEMBER" }\nconst GROUPS = [{ id: "a", role: "ADMIN" }, { id: "b", role: "MEMBER" }];\nexport async function setUp(org: string) {\n  ${body}\n}`;
    const [f, ...rest] = findings(code);
    expect(rest).toEqual([]);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain(`once per element of ${named}`);
    expect(f.message).toContain("a number of round trips the code fixes, not the data, so not N+1");
  });

  it("a registry a class fills from code (job definitions): NOTED", () => {
    const code = [
      prismaHead + "export class Jobs {",
      "  private definitions: Record<string, { id: string; trigger: string }> = {};",
      "  private cron: Array<{ id: string }> = [];",
      "  define(def: { id: string; trigger: string }) { this.definitions[def.id] = def; this.cron.push(def); }",
      "  async trigger(name: string, payload: object) {",
      "    const eligible = Object.values(this.definitions).filter((d) => d.trigger === name);",
      "    await Promise.all(eligible.map((d) => prisma.job.create({ data: { id: `${d.id}-1`, jobId: d.id, payload } })));",
      "  }",
      "  async tick() {",
      "    for (const job of this.cron) await prisma.job.create({ data: { id: job.id, jobId: job.id } });",
      "  }",
      "}",
    ].join("\n");
    expect(findings(code).map((f) => `${f.severity} ${f.location.line}`)).toEqual(["noted 8", "noted 11"]);
  });

  it("a list filled from the data, or a field set from a query, is still N+1", () => {
    const code = [
      prismaHead + "export class Sync {",
      "  private rows: Array<{ id: string }> = [];",
      "  async load() { this.rows = await prisma.job.findMany(); }",
      "  async run(input: Array<{ id: string }>) {",
      "    const ids = [\"first\"];",
      "    for (const row of input) ids.push(row.id);",
      "    for (const id of ids) await prisma.documentData.delete({ where: { id } });",
      "    for (const row of this.rows) await prisma.documentData.delete({ where: { id: row.id } });",
      "  }",
      "}",
    ].join("\n");
    expect(findings(code).map((f) => `${f.severity} ${f.location.line}`)).toEqual(["routine 8", "routine 9"]);
  });
});

describe("n-plus-one: writes that follow per-item work", () => {
  it("a list filled with each item's signed PDF, then written row by row: no finding", () => {
    const code = [
      prismaHead + "export async function seal(items: Array<{ id: string }>) {",
      "  const signed: Array<{ id: string; data: string }> = [];",
      "  for (const item of items) {",
      "    const result = await signPdf(item);",
      "    signed.push({ id: item.id, data: result });",
      "  }",
      "  await prisma.$transaction(async (tx) => {",
      "    for (const s of signed) await tx.documentData.update({ where: { id: s.id }, data: { data: s.data } });",
      "  });",
      "}",
    ].join("\n");
    expect(seen(code)).toEqual([]);
  });

  it("the same value for every row is one updateMany over the keys, in Prisma's terms", () => {
    const code = `${prismaHead}export async function close(ids: string[]) {\n  for (const id of ids) await prisma.envelope.update({ where: { id }, data: { status: "CLOSED" } });\n}`;
    expect(seen(code)).toEqual([
      "routine 3: `close()` updates `Envelope` inside the for...of loop at line 3: one round trip per iteration (N+1). " +
        "Collect the keys and run one `updateMany({ where: { id: { in: ids } } })` (the written values are the same for every row), which sends `WHERE id = ANY($1)`.",
    ]);
  });

  it("each row's own value: the key is the column compared with the item, not a written column or a constant one", () => {
    const code = [
      prismaHead + "export async function hand(userId: number, teams: Array<{ teamId: number; ownerId: number }>) {",
      "  await Promise.all(teams.map(({ teamId, ownerId }) => prisma.envelope.updateMany({ where: { userId, teamId }, data: { userId: ownerId } })));",
      "}",
    ].join("\n");
    const [f] = findings(code);
    expect(f.columns).toEqual(["teamId"]);
    expect(f.message).toContain('AS v("teamId", col) WHERE t."teamId" = v."teamId" AND ...');
    expect(f.message).toContain("with `$executeRaw`, keeping the query's other conditions");
  });
});

describe("n-plus-one: the per-item key and one row per key", () => {
  const drizzleHead = 'import { and, eq, desc, inArray } from "drizzle-orm";\nimport { db } from "./db";\nimport { suggestions } from "./schema";\n';

  it("Drizzle: the key is the column compared with the loop variable, with the newest row kept per key", () => {
    const code = [
      drizzleHead + "export async function unmatch(teamId: string, inboxIds: string[]) {",
      "  for (const inboxId of inboxIds) {",
      "    const [latest] = await db.select({ id: suggestions.id }).from(suggestions)",
      "      .where(and(eq(suggestions.inboxId, inboxId), eq(suggestions.teamId, teamId)))",
      "      .orderBy(desc(suggestions.createdAt)).limit(1);",
      "  }",
      "}",
    ].join("\n");
    const [f] = findings(code, { drizzle: DRIZZLE });
    expect(f.columns).toEqual(["inbox_id"]);
    expect(f.message).toContain("a plain `= ANY` would return every row of each key, not the first one");
    // The team filter is the same for every item and stays in the batched query.
    expect(f.message).toContain("`db.selectDistinctOn([suggestions.inboxId])...where(and(inArray(suggestions.inboxId, keys), ...))");
    expect(f.message).toContain("keeping the query's other conditions (team_id)");
    expect(f.message).toContain("`SELECT DISTINCT ON (inbox_id) ... WHERE inbox_id = ANY($1) AND team_id = $2 ORDER BY inbox_id, created_at DESC`");
  });

  it("Prisma findFirst with orderBy in a loop keeps one row per key", () => {
    const code = `${prismaHead}export async function latest(envelopeIds: string[]) {\n  for (const envelopeId of envelopeIds) {\n    await prisma.recipient.findFirst({ where: { envelopeId }, orderBy: { id: "desc" } });\n  }\n}`;
    const [f] = findings(code);
    expect(f.message).toContain('`SELECT DISTINCT ON ("envelopeId") ... WHERE "envelopeId" = ANY($1) ORDER BY "envelopeId", id DESC`');
  });

  it("Kysely: the advice is .where(col, \"in\", ids) with the SQL beside it", () => {
    const code = `import { db } from "./db";\nexport async function load(ids: string[]) {\n  for (const id of ids) await db.selectFrom("users").selectAll().where("user_id", "=", id).execute();\n}`;
    const [f] = findings(code, {});
    expect(f.message).toContain('Collect the keys and run one `.selectFrom(table).where("user_id", "in", ids)`, which sends `WHERE user_id = ANY($1)`');
  });
});

describe("n-plus-one: nested creates", () => {
  it("a map that only builds the rows of one nested create is one call: no finding", () => {
    const code = `${prismaHead}export async function add(envelopeId: string, emails: string[]) {\n  await prisma.recipient.create({ data: { envelopeId, email: emails[0], fields: { createMany: { data: emails.map((_, i) => ({ page: i })) } } } });\n  await prisma.field.createMany({ data: emails.map((_, i) => ({ recipientId: 1, page: i })) });\n}`;
    expect(seen(code)).toEqual([]);
  });

  it("a create per item that nests its own rows is advised createManyAndReturn, then createMany", () => {
    const code = `${prismaHead}export async function add(envelopeId: string, people: Array<{ email: string; pages: number[] }>) {\n  await Promise.all(people.map((p) => prisma.recipient.create({ data: { envelopeId, email: p.email, fields: { createMany: { data: p.pages.map((page) => ({ page })) } } } })));\n}`;
    const [f] = findings(code);
    expect(f.severity).toBe("routine");
    expect(f.message).toContain("`createMany` takes no nested writes, so create these rows with one `createManyAndReturn` and the related rows with one `createMany` per relation");
  });
});

describe("n-plus-one: what the batched statement must keep", () => {
  const SQL_UNIQUE = `${SQL}\n  CREATE TABLE "Access" (id serial PRIMARY KEY, "groupId" text NOT NULL, "itemId" text NOT NULL, visible boolean);\n  CREATE UNIQUE INDEX "Access_groupId_itemId_key" ON "Access" ("groupId", "itemId");`;
  const PRISMA_UNIQUE = `${PRISMA}\nmodel Access { id Int @id @default(autoincrement())\n  groupId String\n  itemId String\n  visible Boolean?\n  @@unique([groupId, itemId]) }\n`;

  it("a Prisma upsert per item is batched on the key column the loop varies, keeping the other column of its unique key", () => {
    const code = `${prismaHead}export async function show(groupId: string, itemIds: string[]) {\n  for (const itemId of itemIds) {\n    await prisma.access.upsert({ where: { groupId_itemId: { groupId, itemId } }, create: { groupId, itemId, visible: true }, update: { visible: true } });\n  }\n}`;
    const patterns = patternsOf(code, { prisma: PRISMA_UNIQUE });
    const [f] = nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL_UNIQUE), patterns, problems: [], config: config() });
    expect(f.message).toContain("one `updateMany({ where: { itemId: { in: keys }, ... }, data })` with the `update` object as `data`, which sets only visible on the rows that exist, keeping the query's other conditions (\"groupId\")");
  });

  it("a count per item is one GROUP BY over the keys", () => {
    const code = `${prismaHead}export async function counts(envelopeIds: string[]) {\n  return Promise.all(envelopeIds.map((envelopeId) => prisma.recipient.count({ where: { envelopeId } })));\n}`;
    expect(findings(code)[0].message).toContain(
      'count them in one `groupBy({ by: ["envelopeId"], where: { envelopeId: { in: ids } }, _count: true })`, which sends `SELECT "envelopeId", count(*) ... WHERE "envelopeId" = ANY($1) GROUP BY "envelopeId"`',
    );
  });

  it("two columns compared with the item are matched as pairs, not on one alone", () => {
    const code = `${prismaHead}export async function fields(items: Array<{ envelopeId: string; email: string }>) {\n  for (const item of items) await prisma.recipient.findMany({ where: { envelopeId: item.envelopeId, email: item.email } });\n}`;
    expect(findings(code)[0].message).toContain('Collect the (envelopeId, email) pairs of the items and run one query with `WHERE ("envelopeId", email) IN (SELECT * FROM unnest($1::...[], $2::...[]))`');
  });
});

describe("n-plus-one: loops that are not on a request path, or whose time goes elsewhere", () => {
  const code = `${prismaHead}export async function run(ids: string[]) {\n  for (const id of ids) await prisma.envelope.update({ where: { id }, data: { status: "DONE" } });\n}`;

  it.each([
    ["worker/src/backgroundMigrations/backfill-status.ts", "one-off data migration"],
    ["web/src/scripts/sync-status.ts", "script run by hand"],
  ])("%s is NOTED", (path, why) => {
    const patterns = patternsOf(code, { prisma: PRISMA }).map((p) => ({ ...p, location: { ...p.location, file: path } }));
    const [f] = nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns, problems: [], config: config() });
    expect(f.severity).toBe("noted");
    expect(f.message).toContain(why);
  });

  it("a call on a database client that no recognizer reads is a query, not per-item work: still ROUTINE", () => {
    const loop = `${prismaHead}export async function load(ids: string[]) {\n  for (const id of ids) {\n    await prisma.documentData.findFirst({ where: { id } });\n    await db.query.teams.findFirst({ where: byId(id) });\n  }\n}`;
    expect(findings(loop).map((f) => f.severity)).toEqual(["routine"]);
  });

  it("a read per item followed by a per-item file download is NOTED, naming the call", () => {
    const loop = `${prismaHead}export async function load(ids: string[]) {\n  for (const id of ids) {\n    const data = await prisma.documentData.findFirst({ where: { id } });\n    await getFileServerSide(data);\n  }\n}`;
    const [f] = findings(loop);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("Each iteration also awaits `getFileServerSide()`, per-item work that sends no query");
  });
});

describe("n-plus-one: per-row updates keyed on two columns", () => {
  it("joins the new values on every column compared with the item", () => {
    const code = `${prismaHead}export async function save(groupId: string, items: Array<{ envelopeId: string; email: string; page: number }>) {\n  await Promise.all(items.map((item) => prisma.recipient.updateMany({ where: { envelopeId: item.envelopeId, email: item.email }, data: { email: item.email.toLowerCase() } })));\n}`;
    expect(findings(code)[0].message).toContain('AS v("envelopeId", email, col) WHERE t."envelopeId" = v."envelopeId" AND t.email = v.email`');
  });
});

describe("n-plus-one: a Prisma create takes one row", () => {
  it("a create whose data a helper builds per item is still one insert per item, listed with the loop's other query", () => {
    const code = `${prismaHead}export async function save(items: Array<{ id: number; page: number }>) {\n  await Promise.all(items.map(async (item) => {\n    await prisma.field.update({ where: { id: item.id }, data: { page: item.page } });\n    await prisma.recipient.create({ data: auditRow(item) });\n  }));\n}`;
    const [f, ...rest] = findings(code);
    expect(rest).toEqual([]);
    expect(f.message).toContain("sends 2 queries inside the .map() loop at line 3");
    expect(f.related?.map((l) => l.line)).toEqual([5]);
  });
});

describe("n-plus-one: a Drizzle count per item", () => {
  it("is one GROUP BY over the keys, not a plain inArray", () => {
    const code = [
      'import { and, eq, sql } from "drizzle-orm";\nimport { db } from "./db";\nimport { suggestions } from "./schema";',
      "export async function remaining(teamId: string, inboxIds: string[]) {",
      "  for (const inboxId of inboxIds) {",
      "    await db.select({ count: sql<number>`count(*)` }).from(suggestions).where(and(eq(suggestions.inboxId, inboxId), eq(suggestions.teamId, teamId)));",
      "  }",
      "}",
    ].join("\n");
    expect(findings(code, { drizzle: DRIZZLE })[0].message).toContain(
      // The team filter stays beside the keys.
      "count them in one `.select({ key: suggestions.inboxId, n: count() })...where(and(inArray(suggestions.inboxId, ids), ...)).groupBy(suggestions.inboxId)`, which sends `SELECT inbox_id, count(*) ... WHERE inbox_id = ANY($1) AND team_id = $2 GROUP BY inbox_id`, keeping the query's other conditions (team_id)",
    );
  });
});
