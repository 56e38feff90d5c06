// The command line as a user runs it: a separate process, its exit status, stdout and stderr.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALLS, INIT, VERSION, scratch, spawnCli as cli } from "./harness.js";

let files: ReturnType<typeof scratch>;
let clean: string;
let fkMissing: string;

function repo(name: string, content: Record<string, string | Buffer>): string {
  return files.repo(name, content);
}

beforeAll(() => {
  files = scratch("index-audit-cli-");
  clean = repo("clean", { "supabase/migrations/20240101000000_init.sql": INIT });
  fkMissing = repo("fk-missing", {
    "supabase/migrations/20240101000000_init.sql": INIT,
    "supabase/migrations/20240201000000_calls.sql": CALLS,
  });
});

afterAll(() => files.cleanup());

describe("index-audit as a process", () => {
  it("prints help with the rules, and the version", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("index-audit [path] [options]");
    expect(help.stdout).toMatch(/fk-index\s+routine\s+Foreign keys/);
    const version = await cli(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it("exits 0 with the markdown report when nothing reaches fail-on", async () => {
    const run = await cli([clean], { SOURCE_DATE_EPOCH: "1764028800" });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^# Database & Index Audit: clean\n\*\*Date:\*\* 2025-11-25/);
    expect(run.stdout).toContain("| users | organization_id | ✅ | Via idx_users_organization_id |");
    expect(run.stdout).toContain("Total indexes identified in migrations: **3**");
  });

  it("writes parseable JSON with paths relative to the audited root", async () => {
    const run = await cli([fkMissing, "--format", "json"]);
    expect(run.code).toBe(0); // the finding is ROUTINE, below the default fail-on
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ tool: "index-audit", version: VERSION });
    const fk = report.findings.find((f: { rule: string }) => f.rule === "fk-index");
    expect(fk).toMatchObject({
      severity: "routine",
      table: "public.call_logs",
      columns: ["site_id"],
      location: { file: "supabase/migrations/20240201000000_calls.sql" },
    });
    // The FK's own line, or the line of the CREATE TABLE that declares it.
    expect([3, 6]).toContain(fk.location.line);
    expect(fk.id).toMatch(/\S/);
    expect(fk.fix.sql).toContain("CREATE INDEX IF NOT EXISTS");
    expect(report.summary.bySeverity.routine).toBeGreaterThanOrEqual(1);
    expect(report.summary.migrationFiles).toBe(2);
  });

  it("exits 1 when a finding is at or above --fail-on", async () => {
    const run = await cli([fkMissing, "--fail-on", "routine", "--format", "json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings.length).toBeGreaterThan(0);
  });

  it("exits 2 naming the key for an invalid config", async () => {
    const bad = repo("bad-value", {
      "supabase/migrations/20240101000000_init.sql": INIT,
      ".github/index-audit.yml": "tables:\n  call_logs:\n    rows: 1000\nrules:\n  fk-index: high\n",
    });
    const run = await cli([bad]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('.github/index-audit.yml:5: rules.fk-index: expected one of "important", "routine", "noted", "off"');
  });

  it("suggests the nearest key for an unknown one, and the nearest rule id", async () => {
    const typo = repo("typo", { ".github/index-audit.yaml": "fail_on: routine\nrules:\n  fk-indx: off\n" });
    const run = await cli([typo]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('.github/index-audit.yaml:1: unknown key "fail_on" at top level — did you mean "fail-on"?');
    expect(run.stderr).toContain('.github/index-audit.yaml:3: unknown rule "fk-indx" at rules — did you mean "fk-index"?');
  });

  it("names file, line and column for a YAML syntax error", async () => {
    const broken = repo("yaml-error", { ".github/index-audit.yml": "fail-on: routine\nrules: [fk-index\n" });
    const run = await cli([broken]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\.github\/index-audit\.yml:3:1: YAML syntax error/);
  });

  it("exits 2 for a usage error", async () => {
    const unknownFlag = await cli([clean, "--formt", "json"]);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stdout).toBe("");
    expect(unknownFlag.stderr).toContain("--formt");
    expect(unknownFlag.stderr).toContain('Run "index-audit --help" for usage.');
  });

  it("prints the replayed schema as JSON with `schema`", async () => {
    const run = await cli(["schema", fkMissing]);
    expect(run.code).toBe(0);
    const dump = JSON.parse(run.stdout);
    const calls = dump.tables.find((t: { name: string }) => t.name === "call_logs");
    expect(calls).toMatchObject({
      schema: "public",
      name: "call_logs",
      primaryKey: { name: "call_logs_pkey", columns: ["id"] },
      location: { file: "supabase/migrations/20240201000000_calls.sql", line: 3 },
    });
    expect(calls.columns).toContainEqual({ name: "site_id", type: "uuid", nullable: true });
    expect(calls.indexes.map((i: { name: string }) => i.name)).toEqual(expect.arrayContaining(["call_logs_pkey", "idx_call_logs_org_created"]));
    expect(calls.foreignKeys).toContainEqual({
      name: "call_logs_site_id_fkey",
      columns: ["site_id"],
      references: { schema: "public", table: "sites", columns: ["id"] },
      onDelete: "no action",
    });
  });

  it("prints the declared schema with `schema` when a Prisma project has no migrations", async () => {
    const pushed = repo("prisma-push", {
      "prisma/schema.prisma": [
        'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n  relationMode = "prisma"\n}',
        "model Account {\n  id String @id\n  invoices Invoice[]\n}",
        'model Invoice {\n  id Int @id\n  accountId String @map("account_id")\n  account Account @relation(fields: [accountId], references: [id])\n  @@map("invoices")\n}',
      ].join("\n"),
    });
    const run = await cli(["schema", pushed]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("no migrations for prisma/schema.prisma: printing the declared schema");
    const dump = JSON.parse(run.stdout);
    expect(dump.tables.map((t: { name: string }) => t.name)).toEqual(["Account", "invoices"]);
    // The relation has no constraint in the database: the dump says the application enforces it.
    expect(dump.tables[1].foreignKeys).toEqual([
      { name: "invoices_account_id_fkey", columns: ["account_id"], references: { schema: "public", table: "Account", columns: ["id"] }, onDelete: "restrict", applicationOnly: true },
    ]);
  });
});
