// Index fixes in the declared schema's form, for what Prisma cannot say (partial, expression, INCLUDE) and for
// Drizzle's builder (partial and expression indexes it can say).
import { beforeAll, describe, expect, it } from "vitest";
import { inDeclaredForm } from "../../../src/advisor/declared-fix.js";
import type { Finding, FindingDraft, Schema } from "../../../src/core/types.js";
import { reconcileDeclaredLines } from "../../../src/advisor/fix-conflicts.js";
import { replayDeclared } from "../../../src/schema/declared/ddl.js";
import { readDrizzleSchema } from "../../../src/schema/declared/drizzle.js";
import { readPrismaSchema } from "../../../src/schema/declared/prisma.js";
import { initParser } from "../../../src/sql/parser.js";

beforeAll(async () => {
  await initParser();
});

const draft = (sql: string): FindingDraft => ({ rule: "query-index", severity: "routine", table: "public.x", columns: [], message: "m", location: { file: "a.ts", line: 1, column: 1 }, fix: { sql } });

function prismaSchema(): Schema {
  const read = readPrismaSchema({ files: [{ path: "schema.prisma", text: "model Job {\n  id String @id\n  queue String\n  runAt DateTime @map(\"run_at\")\n  doneAt DateTime?\n}" }] });
  const { schema } = replayDeclared(read, []);
  return { ...schema, declared: [read.declared] };
}

describe("index fixes in the declared schema's form", () => {
  it("Prisma: a partial index goes in a hand-edited migration, said so, with the SQL kept", () => {
    const sql = 'CREATE INDEX CONCURRENTLY "job_due" ON "Job" ("queue", "run_at") WHERE "doneAt" IS NULL;';
    const out = inDeclaredForm(draft(sql), prismaSchema());
    expect(out.fix!.sql).toBe(sql);
    expect(out.fix!.declared).toMatchObject({ file: "schema.prisma", line: 6, text: "", language: "prisma", note: expect.stringContaining("a partial index (WHERE)") });
    expect(out.fix!.declared!.note).toContain("--create-only");
  });

  it("Prisma: a plain index is the @@index line with its mapped field names, sort and method", () => {
    const out = inDeclaredForm(draft('CREATE INDEX "x" ON "Job" USING hash ("queue");'), prismaSchema());
    expect(out.fix!.declared!.text).toBe("@@index([queue], type: Hash)");
    const sorted = inDeclaredForm(draft('CREATE INDEX "y" ON "Job" ("queue", "run_at" DESC);'), prismaSchema());
    expect(sorted.fix!.declared!.text).toBe("@@index([queue, runAt(sort: Desc)])");
    expect(sorted.fix!.sql).toBe('CREATE INDEX "Job_queue_run_at_idx" ON "Job"("queue", "run_at" DESC);');
  });

  it("Drizzle: partial and expression indexes are index() entries with sql templates over the table's keys", () => {
    const text = 'import { pgTable, text, timestamp } from "drizzle-orm/pg-core";\nexport const jobs = pgTable("jobs", {\n  queue: text("queue_name"),\n  doneAt: timestamp("done_at"),\n});\n';
    const read = readDrizzleSchema([{ path: "schema.ts", text }]);
    const schema = { ...replayDeclared(read, []).schema, declared: [read.declared] };
    const out = inDeclaredForm(draft('CREATE INDEX "jobs_open" ON "jobs" (lower(queue_name)) WHERE done_at IS NULL;'), schema);
    // No extra config yet: the closing line of the columns object gets the new callback.
    expect(out.fix!.declared).toMatchObject({ file: "schema.ts", line: 5, action: "replace", language: "typescript" });
    expect(out.fix!.declared!.text).toBe('}, (t) => [index("jobs_open").on(sql`lower(${t.queue})`).where(sql`${t.doneAt} IS NULL`)]);');
    expect(out.fix!.declared!.note).toContain("Import `index` from drizzle-orm/pg-core and `sql` from drizzle-orm");
    expect(out.fix!.sql).toBe('CREATE INDEX "jobs_open" ON "jobs" USING btree ((lower(queue_name))) WHERE done_at IS NULL;');
  });

  it("Drizzle: an index that replaces a declared one is added beside it; the old entry goes in a later migration", () => {
    const text = [
      'import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";',
      'export const jobs = pgTable("jobs", {',
      '  queue: text("queue_name"),',
      '  runAt: timestamp("run_at"),',
      "}, (t) => [",
      '  index("jobs_queue_idx").on(t.queue),',
      "]);",
    ].join("\n");
    const read = readDrizzleSchema([{ path: "schema.ts", text }]);
    const schema = { ...replayDeclared(read, []).schema, declared: [read.declared] };
    const finding = { ...draft('CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_queue_run_at ON jobs (queue_name, run_at DESC);\nDROP INDEX CONCURRENTLY IF EXISTS jobs_queue_idx;'), message: "Add jobs_queue_run_at on (queue_name, run_at). It replaces jobs_queue_idx." };
    const out = inDeclaredForm(finding, schema);
    // Added as the config's first entry (before line 6), so no trailing comma of the last entry matters.
    expect(out.fix!.declared).toMatchObject({ file: "schema.ts", line: 6, action: "add", text: 'index("jobs_queue_run_at").on(t.queue, t.runAt.desc()),', language: "typescript" });
    // Swapped in one step, drizzle-kit would drop jobs_queue_idx first and build the new index under that lock.
    expect(out.fix!.declared!.note).toContain("Keep jobs_queue_idx (line 6) until this index is built, then remove that declaration in a later migration");
    // The recommender wrote CONCURRENTLY (the table exists): drizzle-kit's plain build and one-transaction migrator are explained.
    expect(out.fix!.declared!.note).toContain("outside the migrator");
    expect(out.fix!.declared!.note).toContain("one transaction");
    expect(out.fix!.sql).toBe('CREATE INDEX "jobs_queue_run_at" ON "jobs" USING btree ("queue_name", "run_at" DESC);');
  });

  it("Prisma: a replaced @@index stays until the new one is built; the fix's migration only creates", () => {
    const read = readPrismaSchema({ files: [{ path: "schema.prisma", text: 'model Job {\n  id String @id\n  queue String\n  runAt DateTime @map("run_at")\n\n  @@index([queue])\n}' }] });
    const schema = { ...replayDeclared(read, []).schema, declared: [read.declared] };
    const sql = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS job_queue_run_at ON "Job" ("queue", "run_at" DESC);\nDROP INDEX CONCURRENTLY IF EXISTS "Job_queue_idx";';
    const out = inDeclaredForm(draft(sql), schema);
    expect(out.fix!.declared).toMatchObject({ file: "schema.prisma", action: "add", text: "@@index([queue, runAt(sort: Desc)])" });
    expect(out.fix!.declared!.note).toContain("Keep Job_queue_idx (line 6) until this index is built");
    expect(out.fix!.sql).toBe('CREATE INDEX "Job_queue_run_at_idx" ON "Job"("queue", "run_at" DESC);');
  });

  it("Drizzle: the entry names the config callback's own parameter, goes first, and says which import the file lacks", () => {
    const text = [
      'import { pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";',
      'export const jobs = pgTable("jobs", {',
      '  queue: text("queue_name"),',
      '  runAt: timestamp("run_at"),',
      "}, (table) => [",
      '  uniqueIndex("jobs_run_at_key").on(table.runAt)',
      "]);",
    ].join("\n");
    const read = readDrizzleSchema([{ path: "schema.ts", text }]);
    const schema = { ...replayDeclared(read, []).schema, declared: [read.declared] };
    const out = inDeclaredForm(draft('CREATE INDEX jobs_queue ON jobs (queue_name);'), schema);
    // Before line 6, with its own comma: the existing entry has none, and needs none.
    expect(out.fix!.declared).toMatchObject({ file: "schema.ts", line: 6, action: "add", text: 'index("jobs_queue").on(table.queue),' });
    expect(out.fix!.declared!.note).toContain("Import `index` from drizzle-orm/pg-core: the file does not import it yet.");
  });

  it("Prisma: the message names the index under the name prisma migrate gives it", () => {
    const finding = { ...draft('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_job_queue ON "Job" ("queue");'), message: "Add idx_job_queue on (queue); not idx_job_queue_old.", summary: "add idx_job_queue." };
    const out = inDeclaredForm(finding, prismaSchema());
    expect(out.fix!.sql).toBe('CREATE INDEX "Job_queue_idx" ON "Job"("queue");');
    expect(out.message).toBe("Add Job_queue_idx on (queue); not idx_job_queue_old.");
    expect(out.summary).toBe("add Job_queue_idx.");
  });

  it("a fix that rewrites a migration statement (index-locking) stays SQL", () => {
    const finding = { ...draft('CREATE INDEX CONCURRENTLY "y" ON "Job" ("queue");'), rule: "index-locking" };
    expect(inDeclaredForm(finding, prismaSchema())).toBe(finding);
  });

  it("leaves a finding on a table no ORM declares as it was", () => {
    const finding = draft('CREATE INDEX "z" ON "other" ("a");');
    expect(inDeclaredForm(finding, prismaSchema())).toBe(finding);
  });
});

describe("two declared fixes that replace one line", () => {
  it("Drizzle: two new config callbacks on one closing line become one callback with both entries, which reads back as both indexes", () => {
    const text = [
      'import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";',
      'export const jobs = pgTable("jobs", {',
      '  queue: text("queue_name"),',
      '  runAt: timestamp("run_at"),',
      "});",
    ].join("\n");
    const read = readDrizzleSchema([{ path: "schema.ts", text }]);
    const schema = { ...replayDeclared(read, []).schema, declared: [read.declared] };
    const asFinding = (id: string, rule: string, severity: Finding["severity"], sql: string, line: number): Finding => ({
      ...inDeclaredForm({ ...draft(sql), rule, severity, location: { file: "app.ts", line, column: 1 } }, schema),
      id,
    });
    const queue = asFinding("q1", "query-index", "routine", "CREATE INDEX jobs_queue ON jobs (queue_name);", 9);
    const runAt = asFinding("f1", "fk-index", "routine", "CREATE INDEX jobs_run_at ON jobs (run_at);", 3);
    // Alone, each would replace line 5 with a callback of its own.
    expect([queue, runAt].map((f) => f.fix!.declared).map((d) => [d!.line, d!.action])).toEqual([[5, "replace"], [5, "replace"]]);

    expect(reconcileDeclaredLines([queue, runAt])).toHaveLength(2);
    // The first by location keeps the edit, now with both entries; the other names it and keeps its SQL.
    expect(runAt.fix!.declared!.text).toBe('}, (t) => [\n  index("jobs_run_at").on(t.runAt),\n  index("jobs_queue").on(t.queue),\n]);');
    expect(runAt.fix!.declared!.note).toContain("also declares the index of query-index finding q1");
    expect(queue.fix!.declared!.text).toBe("");
    expect(queue.fix!.declared!.note).toContain("The schema edit of fk-index finding f1 declares this index in the same edit.");
    expect(queue.fix!.sql).toBe('CREATE INDEX "jobs_queue" ON "jobs" USING btree ("queue_name");');

    // Applied, the file declares both indexes.
    const lines = text.split("\n");
    lines.splice(4, 1, runAt.fix!.declared!.text);
    const after = readDrizzleSchema([{ path: "schema.ts", text: lines.join("\n") }]);
    const jobs = replayDeclared(after, []).schema.tables.find((t) => t.name === "jobs")!;
    expect(jobs.indexes.map((i) => [i.name, i.keys.map((k) => k.column)])).toEqual([["jobs_run_at", ["run_at"]], ["jobs_queue", ["queue_name"]]]);
  });

  const ONE_LINE = [
    'import { index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";',
    'export const jobs = pgTable("jobs", {',
    '  queue: text("queue_name"),',
    '  runAt: timestamp("run_at"),',
    "}, (table) => [primaryKey({ columns: [table.queue, table.runAt] })]);",
  ].join("\n");
  const onOneLine = (id: string, severity: Finding["severity"], sql: string, line: number): Finding => {
    const read = readDrizzleSchema([{ path: "schema.ts", text: ONE_LINE }]);
    const schema = { ...replayDeclared(read, []).schema, declared: [read.declared] };
    return { ...inDeclaredForm({ ...draft(sql), severity, location: { file: "app.ts", line, column: 1 } }, schema), id };
  };

  it("Drizzle: two entries inserted into one one-line config become one edit that keeps the config's own entry once", () => {
    const a = onOneLine("a1", "routine", "CREATE INDEX jobs_run_at ON jobs (run_at);", 3);
    const b = onOneLine("b1", "routine", "CREATE INDEX jobs_queue ON jobs (queue_name);", 9);
    reconcileDeclaredLines([a, b]);
    const text = a.fix!.declared!.text;
    expect(text).toBe('}, (table) => [index("jobs_run_at").on(table.runAt), index("jobs_queue").on(table.queue), primaryKey({ columns: [table.queue, table.runAt] })]);');
    expect(b.fix!.declared!.text).toBe("");
    const lines = ONE_LINE.split("\n");
    lines.splice(4, 1, text);
    const jobs = replayDeclared(readDrizzleSchema([{ path: "schema.ts", text: lines.join("\n") }]), []).schema.tables.find((t) => t.name === "jobs")!;
    expect(jobs.indexes.map((i) => i.name).sort()).toEqual(["jobs_queue", "jobs_queue_name_run_at_pk", "jobs_run_at"]);
  });

  it("a NOTED finding's entry is not bundled into a ROUTINE finding's edit: it says to add its entry after", () => {
    const routine = onOneLine("r1", "routine", "CREATE INDEX jobs_run_at ON jobs (run_at);", 3);
    const noted = onOneLine("n1", "noted", "CREATE INDEX jobs_queue ON jobs (queue_name);", 9);
    reconcileDeclaredLines([noted, routine]);
    expect(routine.fix!.declared!.text).toBe('}, (table) => [index("jobs_run_at").on(table.runAt), primaryKey({ columns: [table.queue, table.runAt] })]);');
    expect(noted.fix!.declared!.text).toBe("");
    expect(noted.fix!.declared!.note).toContain('The schema edit of query-index finding r1 edits this line too; apply it first, then add `index("jobs_queue").on(table.queue)` to the table\'s config it leaves.');
  });
});
