// A throwaway PostgreSQL server for tests that need a real shared database (two app processes, one
// state): Debian's postgresql package, initdb into a temporary directory, listening only on a Unix
// socket there. `.ci/run` installs the package when it is missing; without it these tests fail with
// a message saying so, rather than being skipped.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface TestPostgres {
  /** A libpq connection string for the `postgres` database over the socket. */
  url: string;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql: install Debian's postgresql package (.ci/run does)");
  return join(root, versions[0], "bin");
}

/** initdb refuses to run as root; as root the cluster belongs to the `postgres` system user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "index-audit-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  if (process.getuid?.() === 0) execFileSync("chown", ["postgres", dir]);
  const [initdb, initArgs] = asServerUser(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  execFileSync(initdb, initArgs, { stdio: "pipe" });
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  const [postgres, args] = asServerUser(join(bin, "postgres"), ["-D", data, "-k", dir, "-p", port, "-c", "listen_addresses=", "-c", "fsync=off"]);
  const child: ChildProcess = spawn(postgres, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.on("data", (c: Buffer) => (log += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const url = `postgresql://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`;
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => {});
      if (child.exitCode !== null || attempt > 150) throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    stop: async () => {
      // pg_ctl as the server's user: a signal to `runuser` is not passed on to the server it started.
      const exited = child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", resolve));
      const [pgCtl, stopArgs] = asServerUser(join(bin, "pg_ctl"), ["-D", data, "stop", "-m", "fast", "-w"]);
      try {
        execFileSync(pgCtl, stopArgs, { stdio: "pipe" });
      } catch {
        child.kill("SIGKILL");
      }
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
