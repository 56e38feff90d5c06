// Fifty pull requests opened at once against the app as an operator runs it (`src/app/server.ts` in a
// process of its own, Probot's real write throttling), on a generated repository: when each pull
// request shows its check run, when the last verdict lands, and the app's peak memory (VmHWM).
// Run with `node --import tsx bench/app-burst.ts [concurrency ...]` (default: 4 and 50).
import { readFileSync } from "node:fs";
import { generateAppCredentials, startGitHubStandin } from "../test/support/github-standin/index.js";
import { buildWebhook, deliverWebhook } from "../test/support/webhooks.js";
import { startAppProcess } from "../test/support/app-process.js";

const PULLS = Number(process.env.BURST_PULLS ?? 50);
const SECRET = "burst-secret";

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function burst(concurrency: number) {
  const credentials = generateAppCredentials();
  const standin = await startGitHubStandin({ appId: credentials.appId });
  const app = await startAppProcess(
    { appId: credentials.appId, privateKey: credentials.privateKey, secret: SECRET, githubUrl: standin.url },
    { AUDIT_CONCURRENCY: String(concurrency), AUDIT_CONCURRENCY_PER_INSTALLATION: String(concurrency), LOG_LEVEL: process.env.BURST_LOG ?? "warn" },
  );
  if (process.env.BURST_LOG) {
    app.child.stdout!.on("data", (c: Buffer) => process.stderr.write(c));
    app.child.stderr!.on("data", (c: Buffer) => process.stderr.write(c));
  }
  const files: Record<string, string> = { "supabase/migrations/20240101000000_init.sql": "create table parents (id uuid primary key);\n", ".github/index-audit.yml": "tables:\n" };
  for (let n = 1; n <= PULLS; n++) files[".github/index-audit.yml"] += `  t${n}: { rows: 1000000 }\n`;
  const repo = await standin.createRepo({ owner: "acme", name: "burst", files });
  const numbers: number[] = [];
  for (let n = 1; n <= PULLS; n++) {
    await repo.commit({
      branch: `f${n}`,
      files: { [`supabase/migrations/2024020100${String(n).padStart(4, "0")}_t${n}.sql`]: `create table t${n} (id uuid primary key, parent_id uuid references parents (id) on delete cascade);\n` },
    });
    numbers.push((await repo.openPullRequest({ head: `f${n}` })).number);
  }
  const deliveries = await Promise.all(numbers.map((n) => buildWebhook("pull_request.opened", { standin, repo, pullNumber: n })));
  const started = performance.now();
  await Promise.all(deliveries.map((d) => deliverWebhook(`${app.url}/api/github/webhooks`, d, { secret: SECRET })));
  const acked = performance.now() - started;
  let allVisible = 0;
  for (;;) {
    const runs = standin.checkRuns(repo.fullName);
    if (!allVisible && runs.length === PULLS) allVisible = performance.now() - started;
    if (runs.length === PULLS && runs.every((r) => r.status === "completed")) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const lastVerdict = performance.now() - started;
  const peak = peakRssMiB(app.child.pid!);

  const conclusions = standin.checkRuns(repo.fullName).map((r) => r.conclusion);
  app.child.kill("SIGTERM");
  await app.exited;
  await standin.close();
  return { concurrency, pulls: PULLS, ackedS: +(acked / 1000).toFixed(1), allCheckRunsVisibleS: +(allVisible / 1000).toFixed(1), lastVerdictS: +(lastVerdict / 1000).toFixed(1), peakRssMiB: peak, failures: conclusions.filter((c) => c === "failure").length };
}

const levels = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const concurrency of levels.length ? levels : [4, 50]) console.log(JSON.stringify(await burst(concurrency)));
