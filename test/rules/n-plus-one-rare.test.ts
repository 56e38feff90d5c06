// n-plus-one on loops that run rarely or a handful of times by what the function does: a loop in the
// function that closes a user account runs once per closed account; a loop that writes the parts of an
// item the same function has just created (the questions of a new survey) runs as many times as one
// request carries. Both are noted, saying why. Rows written for an existing item, rows copied from a
// table, and rows of a growing history keep their severity.
import { beforeAll, describe, expect, it } from "vitest";
import { nPlusOne } from "../../src/rules/n-plus-one.js";
import { initParser } from "../../src/sql/parser.js";
import { patternsOf } from "../queries/clients/support.js";
import { config, schemaOf, setOf } from "../queries/helpers.js";

beforeAll(() => initParser());

// users own workspaces; a workspace holds surveys; a survey is made of questions, a question of choices;
// survey events are a history.
const SQL = `
  CREATE TABLE users (id text PRIMARY KEY, email text NOT NULL, last_seen timestamptz);
  CREATE TABLE workspaces (id text PRIMARY KEY, owner_id text NOT NULL REFERENCES users ON DELETE CASCADE, name text);
  CREATE TABLE memberships (id serial PRIMARY KEY, workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE, user_id text NOT NULL REFERENCES users ON DELETE CASCADE, UNIQUE (workspace_id, user_id));
  CREATE TABLE surveys (id text PRIMARY KEY, workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE, author_id text REFERENCES users ON DELETE SET NULL, title text);
  CREATE TABLE questions (id text PRIMARY KEY, survey_id text NOT NULL REFERENCES surveys ON DELETE CASCADE, label text, position int NOT NULL);
  CREATE TABLE choices (id serial PRIMARY KEY, survey_id text NOT NULL REFERENCES surveys ON DELETE CASCADE, question_id text NOT NULL REFERENCES questions ON DELETE CASCADE, label text);
  CREATE TABLE survey_events (id serial PRIMARY KEY, survey_id text NOT NULL REFERENCES surveys ON DELETE CASCADE, kind text, created_at timestamptz NOT NULL);
  CREATE TABLE tags (id serial PRIMARY KEY, survey_id text NOT NULL REFERENCES surveys, label text);
`;

const PRISMA = `
model User { id String @id
  email String
  lastSeen DateTime? @map("last_seen")
  @@map("users") }
model Workspace { id String @id
  ownerId String @map("owner_id")
  name String?
  @@map("workspaces") }
model Membership { id Int @id @default(autoincrement())
  workspaceId String @map("workspace_id")
  userId String @map("user_id")
  @@unique([workspaceId, userId])
  @@map("memberships") }
model Survey { id String @id
  workspaceId String @map("workspace_id")
  authorId String? @map("author_id")
  title String?
  @@map("surveys") }
model Question { id String @id
  surveyId String @map("survey_id")
  label String?
  position Int
  @@map("questions") }
model Choice { id Int @id @default(autoincrement())
  surveyId String @map("survey_id")
  questionId String @map("question_id")
  label String?
  @@map("choices") }
model SurveyEvent { id Int @id @default(autoincrement())
  surveyId String @map("survey_id")
  kind String?
  createdAt DateTime @map("created_at")
  @@map("survey_events") }
model Tag { id Int @id @default(autoincrement())
  surveyId String @map("survey_id")
  label String?
  @@map("tags") }
`;

// Elsewhere the code edits questions and choices: they are items a user keeps editing, not an append-only log.
const EDITS = [
  "export async function relabel(id: string, label: string) {",
  "  await prisma.question.update({ where: { id }, data: { label } });",
  "  await prisma.choice.update({ where: { id: 1 }, data: { label } });",
  "  await prisma.tag.update({ where: { id: 1 }, data: { label } });",
  "}",
].join("\n");

const DRIZZLE = `
import { pgTable, text, integer } from "drizzle-orm/pg-core";
export const surveys = pgTable("surveys", { id: text("id").primaryKey(), workspaceId: text("workspace_id").notNull(), title: text("title") });
export const questions = pgTable("questions", { id: text("id").primaryKey(), surveyId: text("survey_id").notNull(), label: text("label"), position: integer("position").notNull() });
`;

function findings(code: string, declared: { prisma?: string; drizzle?: string } = { prisma: PRISMA }) {
  const patterns = patternsOf(`${code}\n${EDITS}`, declared);
  return nPlusOne.check({ set: setOf("db", []), statements: [], schema: schemaOf(SQL), patterns, problems: [], config: config() });
}

const head = 'import { prisma } from "./db";\n';

describe("n-plus-one: a loop in the function that closes a user account is noted", () => {
  const closing = (deleteCall: string) =>
    head +
    [
      "export async function closeAccount(id: string) {",
      "  const memberships = await prisma.membership.findMany({ where: { userId: id } });",
      "  await Promise.all(",
      "    memberships.map((m) =>",
      "      prisma.survey.updateMany({ where: { workspaceId: m.workspaceId, authorId: id }, data: { authorId: null } }),",
      "    ),",
      "  );",
      `  ${deleteCall}`,
      "}",
    ].join("\n");

  it("the function deletes the user's row by its key", () => {
    const [f] = findings(closing("await prisma.user.delete({ where: { id } });"));
    expect(f.severity).toBe("noted");
    expect(f.message).toContain(
      "`closeAccount()` also deletes the `users` row by its key (line 9), closing one user account: the loop runs once per closed account, a rare path, so this is noted, not routine.",
    );
    // The advice stays: one updateMany over the workspaces.
    expect(f.message).toContain("N+1");
  });

  it("a cleanup that deletes users by another column is not one account: routine", () => {
    const [f] = findings(closing("await prisma.user.deleteMany({ where: { lastSeen: { lt: new Date() } } });"));
    expect(f.severity).toBe("routine");
  });

  it("the delete in another function of the file does not count: routine", () => {
    const code = closing("").replace(/\}$/, "}\nexport async function drop(id: string) {\n  await prisma.user.delete({ where: { id } });\n}");
    expect(findings(code).map((f) => f.severity)).toEqual(["routine"]);
  });
});

describe("n-plus-one: a loop that writes the parts of an item the function has just created is noted", () => {
  it("the questions of a new survey, and the choices of each new question", () => {
    const code =
      head +
      [
        "export async function createSurvey(workspaceId: string, input: { title: string; questions: { label: string; choices: string[] }[] }) {",
        "  const survey = await prisma.survey.create({ data: { workspaceId, title: input.title } });",
        "  for (const [position, q] of input.questions.entries()) {",
        "    const question = await prisma.question.create({ data: { surveyId: survey.id, label: q.label, position } });",
        "    await Promise.all(q.choices.map((label) => prisma.choice.create({ data: { surveyId: survey.id, questionId: question.id, label } })));",
        "  }",
        "  return survey;",
        "}",
      ].join("\n");
    const found = findings(code).sort((a, b) => a.location.line - b.location.line);
    expect(found.map((f) => [f.table, f.severity])).toEqual([
      ["public.questions", "noted"],
      ["public.choices", "noted"],
    ]);
    expect(found[0].message).toContain(
      "The loop walks the `questions` rows of the one `surveys` row this function created at line 3 (written with surveyId): the parts of one new item, as many as one request carries, deleted with their `surveys`: a handful of round trips that do not grow with the data, so this is noted, not routine.",
    );
    // The choices belong to the survey too; the question, created last, is the item they are parts of.
    expect(found[1].message).toContain("the `choices` rows of the one `questions` row this function created at line 5 (written with questionId)");
    // The batching advice is still given.
    expect(found[0].message).toContain("createMany");
  });

  it("Drizzle: the questions of a survey inserted with returning()", () => {
    const code = [
      'import { db } from "./db";',
      'import { surveys, questions } from "./schema";',
      "export async function createSurvey(workspaceId: string, labels: string[]) {",
      "  const [survey] = await db.insert(surveys).values({ id: crypto.randomUUID(), workspaceId }).returning();",
      "  for (const [position, label] of labels.entries()) {",
      "    await db.insert(questions).values({ id: crypto.randomUUID(), surveyId: survey.id, label, position });",
      "  }",
      "  await db.update(questions).set({ label: null }).where(eq(questions.surveyId, survey.id));",
      "}",
    ].join("\n");
    const [f] = findings(code, { drizzle: DRIZZLE });
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("the `questions` rows of the one `surveys` row this function created at line 4 (written with surveyId)");
  });

  it("an upserted item whose parts are written again", () => {
    const code =
      head +
      [
        "export async function saveSurvey(id: string, workspaceId: string, labels: string[]) {",
        "  const survey = await prisma.survey.upsert({ where: { id }, create: { id, workspaceId }, update: {} });",
        "  await prisma.question.deleteMany({ where: { surveyId: survey.id } });",
        "  for (const [position, label] of labels.entries()) {",
        "    await prisma.question.create({ data: { surveyId: survey.id, label, position } });",
        "  }",
        "}",
      ].join("\n");
    const [f] = findings(code);
    expect(f.severity).toBe("noted");
    expect(f.message).toContain("the one `surveys` row this function upserted at line 3 (written with surveyId): the parts of one item this request writes, as many as one request carries");
  });

  it.each([
    [
      "rows added to an existing survey, read by a query",
      "  const survey = await prisma.survey.findUniqueOrThrow({ where: { id: from } });\n  for (const label of labels) {\n    await prisma.question.create({ data: { surveyId: survey.id, label, position: 0 } });\n  }",
    ],
    [
      "every question of the table copied into a new survey",
      "  const survey = await prisma.survey.create({ data: { workspaceId: from } });\n  const all = await prisma.question.findMany();\n  for (const q of all) {\n    await prisma.question.create({ data: { surveyId: survey.id, label: q.label, position: q.position } });\n  }",
    ],
    [
      "a new survey per item, its question written in the same iteration",
      "  for (const label of labels) {\n    const survey = await prisma.survey.create({ data: { workspaceId: from } });\n    await prisma.question.create({ data: { surveyId: survey.id, label, position: 0 } });\n  }",
    ],
    [
      "rows of a table not deleted with the new survey (no cascade)",
      "  const survey = await prisma.survey.create({ data: { workspaceId: from } });\n  for (const label of labels) {\n    await prisma.tag.create({ data: { surveyId: survey.id, label } });\n  }",
    ],
  ])("%s stays routine", (_, body) => {
    const code = head + ["export async function run(from: string, labels: string[]) {", body, "}"].join("\n");
    expect(findings(code).map((f) => f.severity)).toEqual(["routine"]);
  });

  it("the events of a new survey, a history the code appends to and reads by time, stay routine", () => {
    const code =
      head +
      [
        "export async function start(workspaceId: string, kinds: string[]) {",
        "  const survey = await prisma.survey.create({ data: { workspaceId } });",
        "  for (const kind of kinds) {",
        "    await prisma.surveyEvent.create({ data: { surveyId: survey.id, kind, createdAt: new Date() } });",
        "  }",
        "}",
        "export async function recent(surveyId: string, since: Date) {",
        "  return prisma.surveyEvent.findMany({ where: { surveyId, createdAt: { gte: since } } });",
        "}",
      ].join("\n");
    expect(findings(code).map((f) => f.severity)).toEqual(["routine"]);
  });
});
