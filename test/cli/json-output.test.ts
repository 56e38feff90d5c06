// `--format json` is written in pieces (the report is never one string); the text must be exactly the
// renderer's, on standard output and in an --output file alike.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/audit.js";
import { jsonChunks } from "../../src/cli.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { buildJsonReport, renderJson } from "../../src/report/json.js";
import { fsSource } from "../../src/source/fs-source.js";
import { CALLS, INIT, REPO_ROOT, runMain, scratch } from "./harness.js";

let files: ReturnType<typeof scratch>;
beforeAll(() => {
  files = scratch("index-audit-json-");
});
afterAll(() => files.cleanup());

describe("JSON report written in pieces", () => {
  it("joins to renderJson's text on an example with findings", async () => {
    const result = await audit(fsSource(path.join(REPO_ROOT, "examples", "supabase-app")), { config: DEFAULT_CONFIG });
    expect(result.findings.length).toBeGreaterThan(3);
    const report = buildJsonReport(result, "1.2.3");
    expect([...jsonChunks(report)].join("")).toBe(renderJson(result, "1.2.3"));
    // Findings one, two or three to a piece (a last piece with fewer): the same text.
    for (const perPiece of [1, 2, 3]) {
      const pieces = [...jsonChunks(report, perPiece)];
      expect(pieces.length).toBeGreaterThan(Math.ceil(result.findings.length / perPiece));
      expect(pieces.join("")).toBe(renderJson(result, "1.2.3"));
    }
  });

  it("joins to renderJson's text when there are no findings", async () => {
    const clean = files.repo("clean", { "supabase/migrations/20240101000000_init.sql": INIT });
    const result = await audit(fsSource(clean), { config: DEFAULT_CONFIG });
    expect(result.findings).toEqual([]);
    expect([...jsonChunks(buildJsonReport(result, "1.2.3"))].join("")).toBe(renderJson(result, "1.2.3"));
  });

  it("writes the same report to standard output and to --output", async () => {
    const repo = files.repo("fk", { "supabase/migrations/20240101000000_init.sql": INIT, "supabase/migrations/20240201000000_calls.sql": CALLS });
    const out = path.join(files.root, "reports", "fk.json");
    const printed = await runMain([repo, "--format", "json", "--fail-on", "never"]);
    const written = await runMain([repo, "--format", "json", "--fail-on", "never", "--output", out]);
    expect(printed.code).toBe(0);
    expect(written.stderr).toMatch(/^index-audit: wrote .*fk\.json \(\d+ \w+/);
    const text = readFileSync(out, "utf8");
    expect(text).toBe(printed.stdout);
    expect(JSON.parse(text).findings.length).toBeGreaterThan(0);
  });
});
