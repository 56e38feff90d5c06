// The rest of the command line's behaviour, through main() in-process: config precedence, output
// files, bad input, migration sets. Same code path as the process, without a node start per case.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALLS, INIT, scratch, runMain as cli } from "./harness.js";

let files: ReturnType<typeof scratch>;
let tmp: string;
let clean: string;
let fkMissing: string;

function repo(name: string, content: Record<string, string | Buffer>): string {
  return files.repo(name, content);
}

beforeAll(() => {
  files = scratch("index-audit-main-");
  tmp = files.root;
  clean = repo("clean", { "supabase/migrations/20240101000000_init.sql": INIT });
  fkMissing = repo("fk-missing", {
    "supabase/migrations/20240101000000_init.sql": INIT,
    "supabase/migrations/20240201000000_calls.sql": CALLS,
  });
});

afterAll(() => files.cleanup());

describe("index-audit main()", () => {
  it("says which migration-like folders it left out, on stderr and in the report's scope", async () => {
    const monorepo = fileURLToPath(new URL("../fixtures/frameworks/monorepo", import.meta.url));
    const run = await cli([monorepo, "--fail-on", "never"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^index-audit: left out clickhouse\/migrations: .*ClickHouse/m);
    expect(run.stdout).toMatch(/\*\*Scope:\*\*.*left out: `clickhouse\/migrations` \(/);
  });

  it("takes fail-on and rule severities from the config, the flag winning over the file", async () => {
    const configured = repo("configured", {
      "supabase/migrations/20240101000000_init.sql": INIT,
      "supabase/migrations/20240201000000_calls.sql": CALLS,
      ".github/index-audit.yml": "fail-on: routine\n",
    });
    expect((await cli([configured, "--format", "json"])).code).toBe(1);
    expect((await cli([configured, "--format", "json", "--fail-on", "never"])).code).toBe(0);

    const elsewhere = path.join(tmp, "strict.yaml");
    writeFileSync(elsewhere, "rules:\n  fk-index: important\n");
    const strict = await cli([fkMissing, "--config", elsewhere, "--format", "json"]);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout).findings.find((f: { rule: string }) => f.rule === "fk-index").severity).toBe("important");
  });

  it("writes SARIF to --output and keeps stdout empty", async () => {
    const out = path.join(tmp, "reports", "audit.sarif");
    const run = await cli([fkMissing, "--format", "sarif", "--output", out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("wrote");
    const log = JSON.parse(readFileSync(out, "utf8"));
    expect(log.version).toBe("2.1.0");
    const result = log.runs[0].results.find((r: { ruleId: string }) => r.ruleId === "fk-index");
    expect(result.level).toBe("warning");
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe("supabase/migrations/20240201000000_calls.sql");
    expect(log.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toContain("redundant-index");
  });

  it("reports a broken and a binary migration by file and line, and audits the rest", async () => {
    const messy = repo("messy", {
      "supabase/migrations/20240101000000_init.sql": INIT,
      "supabase/migrations/20240201000000_calls.sql": CALLS,
      "supabase/migrations/20240301000000_broken.sql": "CREATE TABLE ok_one (id int PRIMARY KEY);\n\nCREATE TABEL nope (id int);\n",
      "supabase/migrations/20240401000000_blob.sql": Buffer.from([0x00, 0x01, 0x02, 0xff]),
    });
    const run = await cli([messy, "--format", "json", "--fail-on", "never"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    const problems = report.findings.filter((f: { rule: string }) => f.rule === "parse-error");
    expect(problems.map((p: { location: { file: string } }) => p.location.file).sort()).toEqual([
      "supabase/migrations/20240301000000_broken.sql",
      "supabase/migrations/20240401000000_blob.sql",
    ]);
    expect(problems.find((p: { location: { file: string; line: number } }) => p.location.file.endsWith("broken.sql")).location.line).toBe(3);
    expect(report.findings.some((f: { rule: string; columns: string[] }) => f.rule === "fk-index" && f.columns[0] === "site_id")).toBe(true);
    const markdown = await cli([messy, "--fail-on", "never"]);
    expect(markdown.stdout).toContain("## Input Problems");
    expect(markdown.stdout).toContain("`supabase/migrations/20240301000000_broken.sql:3:");
  });

  it("prints one migration set's schema when there are several, chosen with --set", async () => {
    const monorepo = fileURLToPath(new URL("../report/fixtures/monorepo", import.meta.url));
    const first = await cli(["schema", monorepo]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("choose another with --set");
    const billing = await cli(["schema", monorepo, "--set", "services/billing/migrations"]);
    expect(billing.code).toBe(0);
    expect(JSON.parse(billing.stdout).tables.map((t: { name: string }) => t.name).sort()).toEqual(["customers", "invoices"]);
    const typo = await cli(["schema", monorepo, "--set", "services/biling/migrations"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no migration set "services/biling/migrations" — did you mean "services/billing/migrations"?');
  });

  it("exits 2 for other usage and output errors", async () => {
    const badFormat = await cli([clean, "--format", "jsn"]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format must be one of markdown, json, sarif, not "jsn" — did you mean "json"?');
    const missing = await cli([path.join(tmp, "nowhere")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("path not found");
    const missingConfig = await cli([clean, "--config", path.join(tmp, "none.yml")]);
    expect(missingConfig.code).toBe(2);
    expect(missingConfig.stderr).toContain("none.yml not found");
    const schemaFormat = await cli(["schema", clean, "--format", "json"]);
    expect(schemaFormat.code).toBe(2);
    expect(schemaFormat.stderr).toContain("--format and --fail-on do not apply");
    const setWithoutSchema = await cli([clean, "--set", "x"]);
    expect(setWithoutSchema.code).toBe(2);
    expect(setWithoutSchema.stderr).toContain("--set applies to the schema command only");
    const twoPaths = await cli([clean, clean]);
    expect(twoPaths.code).toBe(2);
    expect(twoPaths.stderr).toContain("expected one path, got 2");
    const unwritable = await cli([clean, "--output", "/dev/null/report.md"]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain("cannot write /dev/null/report.md");
  });

  it("makes --output's missing folders, and ends with exit 2 where a parent refuses one with ENOENT (procfs)", async () => {
    const nested = path.join(tmp, "deep", "er", "audit.md");
    const made = await cli([fkMissing, "--fail-on", "never", "--output", nested]);
    expect(made.code).toBe(0);
    expect(readFileSync(nested, "utf8")).toContain("fk-index");
    // Node's recursive mkdir retries such a folder forever; here the run ends with the mkdir's error.
    const proc = await cli([clean, "--output", "/proc/index-audit-nowhere/report.md"]);
    expect(proc.code).toBe(2);
    expect(proc.stderr).toContain("cannot write /proc/index-audit-nowhere/report.md");
  });
});
