// `npm run bench`: speed and memory of the audit on generated repositories.
// Each measurement runs in a fresh child process so its peak RSS is its own.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runAppBench } from "./app-bench.js";
import { writeCodeFiles, writeMigrations, writeOrmSchemas } from "./generate.js";
import { runPlannerDifferential, runRecommenderCheck } from "./planner-diff.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const workDir = path.join(os.tmpdir(), "index-audit-bench");

interface Figures {
  ms: number;
  statements: number;
  maxRssMb: number;
  [key: string]: number;
}

function child(script: string, root: string): Figures {
  const out = execFileSync(process.execPath, ["--import", "tsx", path.join(here, script), root], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

function repo(name: string, migrations: number, codeFiles: number): string {
  const root = path.join(workDir, name);
  if (existsSync(path.join(root, ".complete"))) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const tables = writeMigrations(root, migrations);
  if (codeFiles) {
    writeOrmSchemas(root, tables);
    writeCodeFiles(root, codeFiles, tables);
  }
  execFileSync("touch", [path.join(root, ".complete")]);
  return root;
}

function squawkBinary(): string | null {
  const local = path.join(here, "..", "node_modules", ".bin", "squawk");
  if (existsSync(local)) return local;
  const found = spawnSync("sh", ["-c", "command -v squawk"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** Wall time of a whole command, process start-up included. */
function timeCommand(bin: string, args: string[]): number | null {
  const started = process.hrtime.bigint();
  const run = spawnSync(bin, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (run.error) return null;
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const cli = path.join(here, "..", "dist", "cli.js");

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(`index-audit benchmark — ${os.cpus().length} cores, node ${process.version}\n`);
const squawk = squawkBinary();
console.log("## Migrations only\n");
if (!existsSync(cli)) throw new Error("dist/cli.js is missing: run `npm run build` first");
console.log("`audit` is the pipeline in-process (read, parse, replay, rules); `CLI` the whole command with start-up and report, like squawk's figure.\n");
console.log("| migrations | statements | bare parse | audit | audit / parse | statements/s | peak RSS | CLI |" + (squawk ? " squawk | squawk / CLI |" : ""));
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|" + (squawk ? "---:|---:|" : ""));
for (const size of [100, 1_000, 10_000]) {
  const root = repo(`migrations-${size}`, size, 0);
  const parse = child("parse-once.ts", root);
  const audited = child("audit-once.ts", root);
  const cliMs = timeCommand(process.execPath, [cli, root, "--format", "json", "--fail-on", "never", "--output", os.devNull])!;
  let squawkCells = "";
  if (squawk) {
    const ms = timeCommand(squawk, [path.join(root, "supabase", "migrations", "*.sql")]);
    squawkCells = ms === null ? " n/a | n/a |" : ` ${fmt(ms)} ms | ${fmt(ms / cliMs, 2)}x |`;
  }
  console.log(
    `| ${fmt(size)} | ${fmt(audited.statements)} | ${fmt(parse.ms)} ms | ${fmt(audited.ms)} ms | ${fmt(audited.ms / parse.ms, 2)}x | ${fmt(
      (audited.statements / audited.ms) * 1000,
    )} | ${fmt(audited.maxRssMb)} MB | ${fmt(cliMs)} ms |${squawkCells}`,
  );
}
if (!squawk) console.log("\n(squawk not installed: `npm i -g squawk-cli` to compare in the same run)");

console.log("\n## Migrations and application code\n");
console.log("| migrations | code files | query patterns | by client | audit | added by code | peak RSS |");
console.log("|---:|---:|---:|---|---:|---:|---:|");
{
  const base = child("audit-once.ts", repo("migrations-10000", 10_000, 0));
  const root = repo("migrations-10000-orm-code-5000", 10_000, 5_000);
  const audited = child("audit-once.ts", root);
  const clients = Object.entries((audited as unknown as { bySource?: Record<string, number> }).bySource ?? {}).map(([source, n]) => `${source} ${fmt(n)}`).join(", ");
  console.log(
    `| 10,000 | ${fmt(audited.codeFiles)} | ${fmt(audited.patterns)} | ${clients} | ${fmt(audited.ms)} ms | ${fmt(audited.ms - base.ms)} ms | ${fmt(audited.maxRssMb)} MB |`,
  );
}

console.log("\n## Verify stage (--verify: PGlite boot, replay, sizes, EXPLAIN before and after each recommendation)\n");
console.log("| repository | statements | findings | verified | demoted | static audit | with --verify | boot | replay | sizes | EXPLAINs | per EXPLAIN | peak RSS |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const [label, root] of [
  ["examples/supabase-app", path.join(here, "..", "examples", "supabase-app")],
  ["1,000 migrations, 200 code files", repo("migrations-1000-orm-code-200", 1_000, 200)],
] as const) {
  const v = child("verify-once.ts", root);
  console.log(
    `| ${label} | ${fmt(v.statements)} | ${fmt(v.findings)} | ${fmt(v.verified)} | ${fmt(v.demoted)} | ${fmt(v.staticMs)} ms | ${fmt(v.ms)} ms | ${fmt(v.bootMs)} ms | ${fmt(v.replayMs)} ms | ${fmt(v.scaleMs)} ms | ${fmt(v.explains)} | ${fmt(v.explainMs, 1)} ms | ${fmt(v.maxRssMb)} MB |`,
  );
}

console.log("\n## Index matcher against PostgreSQL's planner (PGlite)\n");
{
  // Hash indexes, IS TRUE / IS FALSE / IS NOT TRUE / IS NOT FALSE and ranges on text (`wide`), and the
  // named classes: pg_trgm, a partitioned table, skip scan, unique partial indexes.
  const diff = await runPlannerDifferential({ cases: 5_000, seed: 20261125, wide: true });
  console.log(`${fmt(diff.cases)} generated cases: ${fmt(diff.agreed)} agreed, ${fmt(diff.declined)} declined, ${fmt(diff.disagreements.length)} disagreed (${fmt(diff.ms)} ms)`);
  for (const [shape, n] of Object.entries(diff.byShape)) console.log(`  ${shape}: ${fmt(n.cases)} cases, ${fmt(n.agreed)} agreed, ${fmt(n.declined)} declined`);
  for (const line of diff.disagreements.slice(0, 10)) console.log(`  - ${line}`);
  const recs = await runRecommenderCheck({ cases: 2_000, seed: 20261126 });
  console.log(
    `recommended indexes: ${fmt(recs.advised)} built for generated queries no index served (${fmt(recs.partitionedFixes)} on the partitioned table); ${fmt(recs.failed.length)} refused by PostgreSQL, ${fmt(recs.unused.length)} unused by the planner (${fmt(recs.ms)} ms)`,
  );
  for (const line of [...recs.failed, ...recs.unused].slice(0, 10)) console.log(`  - ${line}`);
}

console.log("\n## GitHub App on the local GitHub stand-in (1,000 migrations, 2,000 code files)\n");
{
  const app = await runAppBench();
  console.log("| audit | API calls | wall | our processing | of which pipeline | waiting on blobs |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [label, step] of [
    ["first audit (base and head)", app.firstAudit],
    ["second push, one file changed", app.secondPush],
  ] as const) {
    console.log(`| ${label} | ${step.totalCalls} | ${fmt(step.wallMs)} ms | ${fmt(step.processingMs)} ms | ${fmt(step.pipelineMs)} ms | ${fmt(step.fetchMs)} ms |`);
  }
  console.log("\nCalls of the first audit by route:");
  for (const [route, n] of Object.entries(app.firstAudit.calls).sort()) console.log(`  ${String(n).padStart(4)}  ${route}`);
}
