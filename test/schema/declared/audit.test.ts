// Audits of projects whose schema is declared by an ORM: pushed with no migrations, migrated with Prisma, and a
// Drizzle project whose migrations hold only later changes. Findings name the declaring lines, fixes come in the
// declared schema's form, and every fix.sql runs in PostgreSQL against the declared schema's DDL.
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, type AuditResult } from "../../../src/audit.js";
import { DEFAULT_CONFIG } from "../../../src/core/config.js";
import type { Finding } from "../../../src/core/types.js";
import { renderMarkdown } from "../../../src/report/markdown.js";
import { readDrizzleSchema } from "../../../src/schema/declared/drizzle.js";
import { readPrismaSchema } from "../../../src/schema/declared/prisma.js";
import { fsSource } from "../../../src/source/fs-source.js";
import { resetDatabase } from "../catalog.js";
import { startPGlite } from "../../support/pglite.js";
import { FIXTURES, execPieces, fixtureText } from "./helpers.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(async () => {
  await db?.close();
});

const run = (name: string): Promise<AuditResult> => audit(fsSource(join(FIXTURES, name)), { config: DEFAULT_CONFIG });
const byRule = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);

/** Runs every fix of the audit, each on a fresh copy of the declared schema. */
async function fixesExecute(findings: Finding[], ddl: Parameters<typeof execPieces>[1]): Promise<number> {
  let ran = 0;
  for (const finding of findings) {
    if (!finding.fix) continue;
    await resetDatabase(db);
    await execPieces(db, ddl);
    await expect(db.exec(finding.fix.sql), `${finding.rule}: ${finding.fix.sql}`).resolves.toBeDefined();
    ran++;
  }
  return ran;
}

describe("a Prisma project pushed with relationMode = \"prisma\"", () => {
  it("stands the declared schema in for the database and reports the relation with no index, with the @@index fix", async () => {
    const result = await run("prisma-push");
    expect(result.sets.map((s) => [s.set.framework, s.set.files.map((f) => f.path)])).toEqual([["prisma-schema", ["prisma/schema.prisma"]]]);
    expect(result.sets[0].declared).toMatchObject({ orm: "prisma", standsAlone: true, applicationOnlyForeignKeys: 3 });
    const fk = byRule(result.findings, "fk-index");
    // Member(accountId) is the leading column of its @@unique; invoices(account_id) leads the index the query
    // needs, so that finding covers it; Payment(invoiceId) has no index and no query that would give it one.
    expect(fk.map((f) => [f.table, f.columns])).toEqual([["public.Payment", ["invoiceId"]]]);
    expect(fk[0].location).toEqual({ file: "prisma/schema.prisma", line: 50, column: 3 });
    expect(fk[0].message).toContain('relationMode = "prisma"');
    expect(fk[0].fix).toEqual({
      sql: 'CREATE INDEX "Payment_invoiceId_idx" ON "Payment"("invoiceId");',
      placement: "separate",
      declared: { file: "prisma/schema.prisma", line: 52, action: "add", text: "@@index([invoiceId])", language: "prisma" },
    });
    // The short line names the index the fix creates, under Prisma's name.
    expect(fk[0].summary).toContain("add Payment_invoiceId_idx");
  });

  it("gives a query's index as the schema.prisma change, and removes a redundant index from the schema", async () => {
    const result = await run("prisma-push");
    const query = byRule(result.findings, "query-index");
    expect(query.map((f) => f.fix?.declared?.text)).toEqual(["@@index([accountId, createdAt(sort: Desc)])"]);
    expect(query[0].fix!.sql).toBe('CREATE INDEX "invoices_account_id_created_at_idx" ON "invoices"("account_id", "created_at" DESC);');
    // The relation invoices(account_id), which has no index of its own, is served by the same index.
    expect(query[0].message).toContain("covers foreign key invoices(account_id)");
    const redundant = byRule(result.findings, "redundant-index");
    expect(redundant.map((f) => [f.fix!.sql, f.fix!.declared!.action, f.fix!.declared!.line])).toEqual([['DROP INDEX "Member_accountId_idx";', "remove", 33]]);
    expect(redundant[0].fix!.declared!.note).toContain("prisma migrate dev");
    // The push's DROP INDEX has no CONCURRENTLY: the details name the lock and the concurrent drop that avoids it.
    expect(redundant[0].details).toContain("plain DROP INDEX, which takes an ACCESS EXCLUSIVE lock on Member");
    expect(redundant[0].details).toContain("Run `DROP INDEX CONCURRENTLY IF EXISTS` by hand first");
  });

  it("every fix executes against the declared schema's DDL", async () => {
    const result = await run("prisma-push");
    const read = readPrismaSchema({ files: [{ path: "prisma/schema.prisma", text: fixtureText("prisma-push", "prisma/schema.prisma") }] });
    expect(await fixesExecute(result.findings, read.ddl)).toBe(3);
  });

  it("says in the report's scope that the declared schema is the database's", async () => {
    const result = await run("prisma-push");
    const markdown = renderMarkdown(result, { version: "0.1.0", date: "2026-01-02", config: DEFAULT_CONFIG });
    expect(markdown).toContain("no migrations for `prisma/schema.prisma`: the declared Prisma schema is taken as the database's");
    expect(markdown).toContain("```prisma\n@@index([invoiceId])\n```");
  });
});

describe("a Prisma project with migrations", () => {
  it("keeps the migrations as the schema and attaches the model mapping", async () => {
    const result = await run("prisma-migrate");
    expect(result.sets.map((s) => s.set.framework)).toEqual(["prisma"]);
    expect(result.sets[0].declared).toMatchObject({ orm: "prisma", standsAlone: false, addedTables: [], applicationOnlyForeignKeys: 0 });
    expect(result.sets[0].schema.declared?.[0].models.map((m) => `${m.name}=${m.table}`)).toEqual(["User=users", "Post=posts", "Label=Label", "Membership=Membership"]);
    // Locations stay those of the migration.
    const posts = result.sets[0].schema.tables.find((t) => t.name === "posts")!;
    expect(posts.location.file).toBe("prisma/migrations/20240101000000_init/migration.sql");
    expect(byRule(result.findings, "fk-index")).toEqual([]);
  });
});

describe("Drizzle projects", () => {
  it("drizzle-kit push: the pgTable declarations are the schema, and fixes are index() entries", async () => {
    const result = await run("drizzle-push");
    expect(result.sets.map((s) => s.set.framework)).toEqual(["drizzle-schema"]);
    const fk = byRule(result.findings, "fk-index");
    expect(fk.map((f) => [f.table, f.location.line, f.fix!.declared!.text])).toEqual([
      ["public.vehicles", 16, 'idxVehiclesFleetId: index("idx_vehicles_fleet_id").on(t.fleetId),'],
      ["public.trips", 40, 'index("idx_trips_vehicle_id").on(t.vehicleId),'],
    ]);
    // The entry goes first in the extra config's array, before the line of its first entry: it ends with its own
    // comma, so the last entry's trailing comma does not matter.
    expect(fk.find((f) => f.table === "public.trips")!.fix!.declared!.line).toBe(39);
    expect(fk.find((f) => f.table === "public.trips")!.fix!.sql).toBe('CREATE INDEX "idx_trips_vehicle_id" ON "trips" USING btree ("vehicle_id");');
    const read = readDrizzleSchema([{ path: "src/db/schema.ts", text: fixtureText("drizzle-push", "src/db/schema.ts") }]);
    expect(await fixesExecute(result.findings, read.ddl)).toBe(2);
  });

  it("migrations out of step with schema.ts: the declared tables the migrations lack are added, and said so", async () => {
    const result = await run("drizzle-partial");
    expect(result.sets.map((s) => s.set.framework)).toEqual(["drizzle"]);
    expect(result.sets[0].declared).toMatchObject({ orm: "drizzle", standsAlone: false, addedTables: ["public.teams", "public.members"] });
    // The declared tables exist before the migrations, which change and index them.
    const tables = result.sets[0].schema.tables.map((t) => `${t.name}@${t.location.file}`);
    expect(tables).toEqual(["teams@src/db/schema.ts", "members@src/db/schema.ts", "audit_log@drizzle/0000_late_change.sql"]);
    const members = result.sets[0].schema.tables.find((t) => t.name === "members")!;
    expect(members.indexes.map((i) => `${i.name}@${i.location.file}:${i.location.line}`)).toEqual([
      "members_pkey@src/db/schema.ts:13",
      "members_email_idx@src/db/schema.ts:20",
      "members_joined_at_idx@drizzle/0000_late_change.sql:3",
    ]);
    const teams = result.sets[0].schema.tables.find((t) => t.name === "teams")!;
    expect(teams.columns.map((c) => c.name)).toEqual(["id", "name", "archived"]);
    const fk = byRule(result.findings, "fk-index");
    // A one-line config takes the entry inside its line.
    expect(fk.map((f) => [f.table, f.fix!.declared!.action, f.fix!.declared!.text])).toEqual([
      ["public.members", "replace", '  (t) => [index("idx_members_team_id").on(t.teamId), index("members_email_idx").on(t.email)],'],
    ]);
    const markdown = renderMarkdown(result, { version: "0.1.0", date: "2026-01-02", config: DEFAULT_CONFIG });
    expect(markdown).toContain("2 tables the migrations never create (`public.teams`, `public.members`), taken from the declaration");
    const read = readDrizzleSchema([{ path: "src/db/schema.ts", text: fixtureText("drizzle-partial", "src/db/schema.ts") }]);
    // The migration's index on members, which the declaration says exists already, blocks its writes while it builds.
    expect(byRule(result.findings, "index-locking").map((f) => `${f.table} ${f.location.file}:${f.location.line}`)).toEqual(["public.members drizzle/0000_late_change.sql:3"]);
    expect(await fixesExecute(result.findings, read.ddl)).toBe(2);
  });
});
