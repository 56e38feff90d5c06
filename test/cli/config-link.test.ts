// A config the audited folder links to from outside is not followed, and no error echoes a file's contents.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { INIT, scratch, spawnCli as cli } from "./harness.js";

let files: ReturnType<typeof scratch>;
beforeAll(() => {
  files = scratch("index-audit-config-link-");
});
afterAll(() => files.cleanup());

it("refuses a .github/index-audit.yml that links out of the audited folder, naming the file and not its contents", async () => {
  const outside = path.join(files.root, "secrets.env");
  writeFileSync(outside, "API_TOKEN=do-not-print-me\nOTHER=x\n");
  const repo = files.repo("linked", { "supabase/migrations/20240101000000_init.sql": INIT });
  mkdirSync(path.join(repo, ".github"), { recursive: true });
  symlinkSync(outside, path.join(repo, ".github/index-audit.yml"));
  const run = await cli([repo]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(".github/index-audit.yml: a symbolic link to a file outside the audited folder; not followed");
  expect(run.stdout + run.stderr).not.toContain("do-not-print-me");
});

it("a --config that is not a config says what it is, not what it holds", async () => {
  const env = path.join(files.root, "other.env");
  writeFileSync(env, "API_TOKEN=do-not-print-me\n");
  const repo = files.repo("plain", { "supabase/migrations/20240101000000_init.sql": INIT });
  const run = await cli([repo, "--config", env]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("expected a mapping (key: value), got a string of 25 characters");
  expect(run.stdout + run.stderr).not.toContain("do-not-print-me");
});
