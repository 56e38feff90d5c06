import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, type CliIO } from "../../src/cli.js";

let tmp: string;
let large: string;
let small: string;

function io(stderrIsTTY: boolean) {
  const captured = { stdout: "", stderr: "" };
  const value: CliIO = {
    stdout: (t) => void (captured.stdout += t),
    stderr: (t) => void (captured.stderr += t),
    stderrIsTTY,
    today: () => "2026-01-02",
  };
  return { io: value, captured };
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "index-audit-progress-"));
  large = path.join(tmp, "large");
  small = path.join(tmp, "small");
  for (const root of [large, small]) mkdirSync(path.join(root, "supabase/migrations"), { recursive: true });
  writeFileSync(path.join(small, "supabase/migrations/20240101000000_init.sql"), "CREATE TABLE t (id int PRIMARY KEY);\n");
  writeFileSync(path.join(large, "supabase/migrations/20240101000000_init.sql"), "CREATE TABLE t (id int PRIMARY KEY);\n");
  mkdirSync(path.join(large, "docs"));
  for (let i = 0; i < 600; i++) writeFileSync(path.join(large, "docs", `note-${i}.md`), `# note ${i}\n`);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("progress on standard error", () => {
  it("is shown on a terminal for a large repository, never on stdout", async () => {
    const { io: tty, captured } = io(true);
    expect(await main([large, "--format", "json"], tty)).toBe(0);
    expect(captured.stderr).toMatch(/^index-audit: reading .*supabase\/migrations$/m);
    expect(captured.stderr.split("\n").filter(Boolean).every((line) => line.startsWith("index-audit: "))).toBe(true);
    expect(JSON.parse(captured.stdout).tool).toBe("index-audit");
  });

  it("stays quiet for a small repository or when stderr is not a terminal", async () => {
    const quietSmall = io(true);
    expect(await main([small, "--format", "json"], quietSmall.io)).toBe(0);
    expect(quietSmall.captured.stderr).toBe("");
    const piped = io(false);
    expect(await main([large, "--format", "json"], piped.io)).toBe(0);
    expect(piped.captured.stderr).toBe("");
  });
});
