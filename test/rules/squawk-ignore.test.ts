import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { audit } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { squawkSuppressions } from "../../src/migrations/squawk-ignore.js";
import { fsSource } from "../../src/source/fs-source.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function findings(second: string) {
  const root = mkdtempSync(join(tmpdir(), "index-audit-squawk-"));
  dirs.push(root);
  const files = { "migrations/001_init.sql": "CREATE TABLE accounts (id int PRIMARY KEY, email text, qty int);\n", "migrations/002_change.sql": second };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const result = await audit(fsSource(root), { config: DEFAULT_CONFIG });
  return result.findings.filter((f) => ["index-locking", "table-rewrite", "lock-timeout", "constraint-validation"].includes(f.rule)).map((f) => f.rule);
}

describe("squawk-ignore comments", () => {
  it("suppress the index-audit rule a Squawk rule maps to, on the statement below", async () => {
    expect(await findings("CREATE INDEX accounts_email ON accounts (email);\n")).toEqual(["index-locking"]);
    expect(await findings("-- squawk-ignore require-concurrent-index-creation\nCREATE INDEX accounts_email ON accounts (email);\n")).toEqual([]);
    expect(await findings("-- squawk-ignore changing-column-type, require-timeout-settings\n\nALTER TABLE accounts ALTER COLUMN qty TYPE bigint;\n")).toEqual([]);
  });

  it("leave other rules, and other statements, reported", async () => {
    expect(await findings("-- squawk-ignore changing-column-type\nCREATE INDEX accounts_email ON accounts (email);\n")).toEqual(["index-locking"]);
    expect((await findings("-- squawk-ignore changing-column-type\nALTER TABLE accounts ALTER COLUMN qty TYPE bigint;\n")).sort()).toEqual(["lock-timeout"]);
  });

  it("skip blank and comment lines to find the statement, and ignore Squawk rules with no counterpart", () => {
    const map = squawkSuppressions("-- squawk-ignore prefer-robust-stmts, require-timeout-settings\n-- why\n\nALTER TABLE a DROP COLUMN b;\n", "f.sql");
    expect([...map.keys()]).toEqual([4]);
    expect(map.get(4)!.map((s) => s.rule)).toEqual(["lock-timeout"]);
  });
});
