// The app as an operator runs it (`npm start`: src/app/server.ts in a process of its own), pointed at
// the stand-in GitHub, with JSON logs collected for the test to read.
import { spawn, type ChildProcess } from "node:child_process";

export interface AppProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

export interface AppProcessSettings {
  appId: number;
  privateKey: string;
  secret: string;
  githubUrl: string;
}

const children = new Set<ChildProcess>();

/** Kills whatever app processes are still running (afterAll). */
export function killAppProcesses(): void {
  for (const child of children) child.kill("SIGKILL");
}

export function appEnv(settings: AppProcessSettings, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    APP_ID: String(settings.appId),
    PRIVATE_KEY: settings.privateKey,
    WEBHOOK_SECRET: settings.secret,
    GITHUB_API_URL: settings.githubUrl,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_FORMAT: "json",
    LOG_LEVEL: "info",
    SWEEP_INTERVAL_MS: "0",
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

/** Starts `src/app/server.ts` in a process; resolves once it listens (or rejects when it exits first). */
export function startAppProcess(settings: AppProcessSettings, extra: Record<string, string | undefined> = {}): Promise<AppProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/app/server.ts"], { env: appEnv(settings, extra), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => (children.delete(child), resolve(code))));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/[^\s"]+)\/api\/github\/webhooks/.exec(out);
      if (m) resolve({ child, url: m[1], output: () => out, exited });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`app exited with ${code}: ${out}`)));
  });
}

/** Polls until `done` holds (the app works in another process); throws naming `what` after 60 s. */
export async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}
