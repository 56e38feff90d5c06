// Two ways to run the command line in tests: as a separate process (what a user runs), and
// in-process through main() (the same code, without paying for a node start and parser load).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const VERSION = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version as string;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node --import tsx src/cli.ts ...` from the repository root. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli.ts", ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** main() with captured output, stderr not a terminal. */
export async function runMain(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTTY: false,
    today: () => "2026-01-02",
  });
  return { code, stdout, stderr };
}

/** A scratch folder for small repositories, removed by `cleanup`. */
export function scratch(prefix: string) {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  return {
    root,
    repo(name: string, files: Record<string, string | Buffer>): string {
      const dir = path.join(root, name);
      for (const [file, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), content);
      }
      return dir;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export const INIT = `CREATE TABLE organizations (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  email text NOT NULL
);
CREATE INDEX idx_users_organization_id ON users (organization_id);
`;

// call_logs.site_id references sites with no index on the referencing side (declared on line 6).
export const CALLS = `CREATE TABLE sites (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations(id));
CREATE INDEX idx_sites_organization_id ON sites (organization_id);
CREATE TABLE call_logs (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  site_id uuid REFERENCES sites(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_call_logs_org_created ON call_logs (organization_id, created_at);
`;
