// The README's first command ends with the app demo: it must show a newcomer the app's main job on the
// bundled example (a failing check run, review comments with suggestions, the summary comment) and
// write the same as one HTML page.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

it("the app demo prints the check run, the review comments and the summary, and writes them as HTML", async () => {
  const html = path.join(mkdtempSync(path.join(tmpdir(), "demo-")), "pr.html");
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "demo/app-demo.ts", "--html", html], { maxBuffer: 8 * 1024 * 1024 });
  expect(stdout).toContain('check run "index-audit": failure');
  expect(stdout).toMatch(/review comment on apps\/server\/src\/transcripts\/pending\.ts:\d+/);
  expect(stdout).toMatch(/review comment on supabase\/migrations\/20260110090000_call_transcripts\.sql:\d+/);
  expect(stdout).toContain("```suggestion");
  expect(stdout).toContain("CREATE INDEX");
  expect(stdout).toContain("<!-- index-audit:summary -->");
  expect(stdout).toContain(`The same, as GitHub would show it: ${html}`);
  expect(existsSync(html)).toBe(true);
  const page = readFileSync(html, "utf8");
  expect(page).toContain('class="markdown-body"');
  expect(page).toContain("idx_call_transcripts_call_log_id");
  expect(page).toContain("<details>");
}, 120_000);
