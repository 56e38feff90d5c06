// `npm run bench`: speed and memory of the audit on generated repositories, side by side with squawk
// (when it is on PATH) and with a bare parse of the same migration files, then the verify stage, the
// index matcher against the planner, and the GitHub App. Every figure of the shapes table is the wall
// time of a whole command (process start-up included, as a user meets it), the median of paired runs.
// It ends with each goal and its measured ratio.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runAppBench } from "./app-bench.js";
import { migrationFiles, writeCodeFiles, writeMigrations, writeOrmSchemas, type MigrationLayout } from "./generate.js";
import { runPlannerDifferential, runRecommenderCheck } from "./planner-diff.js";
import { writeWebApp, type WebAppClient } from "./webapp.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const workDir = path.join(os.tmpdir(), "index-audit-bench");
// BENCH_CLI measures another build of the CLI (an earlier commit's dist/cli.js) under the same conditions.
const cli = process.env.BENCH_CLI ? path.resolve(process.env.BENCH_CLI) : path.join(here, "..", "dist", "cli.js");
/** Paired runs per measurement; the median is reported. */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Figures {
  ms: number;
  statements: number;
  maxRssMb: number;
  [key: string]: number;
}

function child(script: string, root: string): Figures {
  const out = execFileSync(process.execPath, ["--import", "tsx", path.join(here, script), root], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(out.trim().split("\n").pop()!);
}

interface Shape {
  label: string;
  layout: MigrationLayout;
  migrations: number;
  codeFiles: number;
  /** The client the application's queries go through; "mixed": every file queries, through five clients. */
  client: WebAppClient | "mixed";
}

const ALL_SHAPES: Shape[] = [
  { label: "Prisma, monorepo", layout: "prisma", migrations: 800, codeFiles: 2_800, client: "prisma" },
  { label: "Prisma", layout: "prisma", migrations: 430, codeFiles: 3_400, client: "prisma" },
  { label: "Drizzle", layout: "drizzle", migrations: 190, codeFiles: 870, client: "drizzle" },
  { label: "Supabase", layout: "supabase", migrations: 10_000, codeFiles: 5_000, client: "supabase-js" },
];

/**
 * BENCH_SHAPES picks shapes by the start of their folder name, comma-separated (`supabase-10000`,
 * `prisma,drizzle`); BENCH_PARTS picks sections (`startup,shapes,verify,planner,app`). Both default to all;
 * a goal whose section or shape did not run is left out of the goals.
 */
const SHAPES = ALL_SHAPES.filter((s) => {
  const wanted = process.env.BENCH_SHAPES?.split(",").filter(Boolean);
  return !wanted || wanted.some((w) => `${s.layout}-${s.migrations}`.startsWith(w));
});
const PARTS = new Set((process.env.BENCH_PARTS ?? "startup,shapes,verify,planner,app").split(","));

/** A generated repository, kept between runs (`.complete` marks a finished one). `withCode: false` writes the migrations only. */
function repo(shape: Shape, withCode: boolean): string {
  const name = `${shape.layout}-${shape.migrations}${withCode ? `-${shape.client}-${shape.codeFiles}` : ""}-v2`;
  const root = path.join(workDir, name);
  if (existsSync(path.join(root, ".complete"))) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const tables = writeMigrations(root, shape.migrations, 42, shape.layout);
  if (withCode) {
    if (shape.client === "mixed") {
      writeOrmSchemas(root, tables);
      writeCodeFiles(root, shape.codeFiles, tables);
    } else {
      if (shape.client !== "supabase-js") writeOrmSchemas(root, tables, shape.client);
      writeWebApp(root, shape.codeFiles, tables, shape.client);
    }
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

/** Wall time of a whole command, process start-up included, and its peak RSS when it is a node command. */
function timeCommand(bin: string, args: string[], options: { cwd?: string } = {}): { ms: number; rssMb?: number } | null {
  const rssFile = path.join(workDir, `rss-${process.pid}`);
  rmSync(rssFile, { force: true });
  const started = process.hrtime.bigint();
  const run = spawnSync(bin, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, cwd: options.cwd, env: { ...process.env, BENCH_RSS_FILE: rssFile } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.error || run.signal) return null;
  return { ms, rssMb: existsSync(rssFile) ? Number(readFileSync(rssFile, "utf8")) / 1024 : undefined };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const seconds = (ms: number) => `${fmt(ms / 1000, 2)} s`;

if (!existsSync(cli)) throw new Error("dist/cli.js is missing: run `npm run build` first");
mkdirSync(workDir, { recursive: true });
console.log(`index-audit benchmark — ${os.cpus().length} cores, node ${process.version}, median of ${RUNS} paired runs\n`);
const squawk = squawkBinary();
if (!squawk) console.log("squawk is not on PATH: its columns and the goal that compares with it are left out (`npm i -g squawk-cli`, or put its bin folder on PATH).\n");

let startup: { bare: number; version: number } | undefined;
if (PARTS.has("startup")) {
  console.log("## Start-up\n");
  const bare: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < Math.max(5, RUNS * 2); i++) {
    bare.push(timeCommand(process.execPath, ["-e", "0"])!.ms);
    version.push(timeCommand(process.execPath, [cli, "--version"])!.ms);
  }
  startup = { bare: median(bare), version: median(version) };
  console.log(`\`node dist/cli.js --version\` ${fmt(startup.version)} ms; bare \`node -e 0\` ${fmt(startup.bare)} ms; difference ${fmt(startup.version - startup.bare)} ms\n`);
}

if (PARTS.has("shapes")) {
  console.log("## Repository shapes: the whole command, side by side\n");
  console.log("`whole repo` audits migrations and code; `migrations only` a copy holding just the migration files; `bare parse` reads and parses those files with libpg-query, single-threaded, nothing else.\n");
  console.log(
    "| shape | migrations | code files | statements | whole repo | migrations only | bare parse |" +
      (squawk ? " squawk | whole / squawk | migrations only / squawk |" : "") +
      " whole / bare parse | peak RSS (whole) | patterns | findings |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|" + (squawk ? "---:|---:|---:|" : "") + "---:|---:|---:|---:|");
}

interface ShapeResult {
  shape: Shape;
  whole: number;
  migrationsOnly: number;
  parse: number;
  squawk?: number;
  rssMb: number;
}
const results: ShapeResult[] = [];
for (const shape of PARTS.has("shapes") ? SHAPES : []) {
  const whole = repo(shape, true);
  const only = repo(shape, false);
  const files = migrationFiles(shape.layout);
  const runs = { whole: [] as number[], only: [] as number[], parse: [] as number[], squawk: [] as number[], rss: [] as number[] };
  let statements = 0;
  for (let i = 0; i < RUNS; i++) {
    // A shape whose audit takes long is measured once: the noise is then small beside it.
    if (i > 0 && runs.whole[0] > 15_000) break;
    // Paired: the four commands one after the other, so that load on the machine touches each alike.
    const parsed = timeCommand(process.execPath, [path.join(here, "parse-once.mjs"), path.join(whole, files.dir)])!;
    runs.parse.push(parsed.ms);
    const w = timeCommand(process.execPath, ["--import", path.join(here, "peak-rss.mjs"), cli, whole, "--format", "json", "--fail-on", "never", "--output", os.devNull])!;
    runs.whole.push(w.ms);
    runs.rss.push(w.rssMb ?? 0);
    runs.only.push(timeCommand(process.execPath, [cli, only, "--format", "json", "--fail-on", "never", "--output", os.devNull])!.ms);
    if (squawk) {
      const s = timeCommand(squawk, [files.glob], { cwd: only });
      if (s) runs.squawk.push(s.ms);
    }
  }
  // Counts from one in-process audit of the whole repository.
  const counted = child("audit-once.ts", whole);
  statements = counted.statements;
  const r: ShapeResult = {
    shape,
    whole: median(runs.whole),
    migrationsOnly: median(runs.only),
    parse: median(runs.parse),
    squawk: runs.squawk.length ? median(runs.squawk) : undefined,
    rssMb: Math.max(...runs.rss),
  };
  results.push(r);
  const squawkCells = squawk ? (r.squawk === undefined ? " failed | n/a | n/a |" : ` ${seconds(r.squawk)} | ${fmt(r.whole / r.squawk, 2)}× | ${fmt(r.migrationsOnly / r.squawk, 2)}× |`) : "";
  console.log(
    `| ${shape.label} | ${fmt(shape.migrations)} | ${fmt(counted.codeFiles)} | ${fmt(statements)} | ${seconds(r.whole)} | ${seconds(r.migrationsOnly)} | ${seconds(r.parse)} |${squawkCells} ${fmt(r.whole / r.parse, 2)}× | ${fmt(r.rssMb)} MB | ${fmt(counted.patterns)} | ${fmt(counted.findings)} |`,
  );
}

if (PARTS.has("verify")) {
  console.log("\n## Verify stage (--verify: PGlite boot, replay, sizes, EXPLAIN before and after each recommendation)\n");
  console.log("| repository | statements | findings | verified | demoted | static audit | with --verify | boot | replay | sizes | EXPLAINs | per EXPLAIN | peak RSS |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [label, root] of [
    ["examples/supabase-app", path.join(here, "..", "examples", "supabase-app")],
    ["1,000 migrations, 200 code files", repo({ label: "", layout: "supabase", migrations: 1_000, codeFiles: 200, client: "mixed" }, true)],
  ] as const) {
    const v = child("verify-once.ts", root);
    console.log(
      `| ${label} | ${fmt(v.statements)} | ${fmt(v.findings)} | ${fmt(v.verified)} | ${fmt(v.demoted)} | ${fmt(v.staticMs)} ms | ${fmt(v.ms)} ms | ${fmt(v.bootMs)} ms | ${fmt(v.replayMs)} ms | ${fmt(v.scaleMs)} ms | ${fmt(v.explains)} | ${fmt(v.explainMs, 1)} ms | ${fmt(v.maxRssMb)} MB |`,
    );
  }
}

if (PARTS.has("planner")) {
  console.log("\n## Index matcher against PostgreSQL's planner (PGlite)\n");
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

const appRuns: Array<{ label: string; result: Awaited<ReturnType<typeof runAppBench>> }> = [];
if (PARTS.has("app")) {
  console.log("\n## GitHub App on the local GitHub stand-in\n");
  console.log("| repository | audit | API calls | wall | our processing | of which pipeline | waiting on blobs |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  // The goal's repository first (Supabase, a web application querying through supabase-js), then the table's shapes.
  const appShapes: Array<{ label: string; options: Parameters<typeof runAppBench>[0] }> = [
    { label: "Supabase: 1,000 migrations, 2,000 code files", options: { migrations: 1_000, codeFiles: 2_000, layout: "supabase", client: "supabase-js" } },
    ...SHAPES.filter((s) => s.client !== "mixed" && s.migrations < 10_000).map((s) => ({
      label: `${s.label}: ${fmt(s.migrations)} migrations, ${fmt(s.codeFiles)} code files`,
      options: { migrations: s.migrations, codeFiles: s.codeFiles, layout: s.layout, client: s.client as WebAppClient },
    })),
  ];
  for (const { label, options } of appShapes) {
    const result = await runAppBench(options);
    appRuns.push({ label, result });
    for (const [step, s] of [
      ["first audit (base and head)", result.firstAudit],
      ["second push, one file changed", result.secondPush],
    ] as const) {
      console.log(`| ${label} | ${step} | ${s.totalCalls} | ${fmt(s.wallMs)} ms | ${fmt(s.processingMs)} ms | ${fmt(s.pipelineMs)} ms | ${fmt(s.fetchMs)} ms |`);
    }
  }
  console.log(`\nCalls of the first audit by route (${appShapes[0].label}):`);
  for (const [route, n] of Object.entries(appRuns[0].result.firstAudit.calls).sort()) console.log(`  ${String(n).padStart(4)}  ${route}`);
}

console.log("\n## Goals\n");
{
  const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
  const lines: string[] = [];
  if (results.length === 0) {
    // No shape ran (BENCH_PARTS): no speed or memory goal to judge.
  } else if (squawk && results.every((r) => r.squawk !== undefined)) {
    for (const r of results) {
      const ratio = r.whole / r.squawk!;
      lines.push(`${verdict(ratio <= 1)}  whole-repository audit no slower than squawk on the same migrations — ${r.shape.label}: ${fmt(ratio, 2)}× (${seconds(r.whole)} vs ${seconds(r.squawk!)})`);
    }
  } else {
    lines.push(`n/a   whole-repository audit no slower than squawk on the same migrations — squawk ${squawk ? "failed on a shape" : "is not on PATH"}`);
  }
  for (const r of results) {
    const ratio = r.whole / r.parse;
    lines.push(`${verdict(ratio <= 1)}  audit at most 1.0× a single-threaded bare parse of the same SQL — ${r.shape.label}: ${fmt(ratio, 2)}× (${seconds(r.whole)} vs ${seconds(r.parse)})`);
  }
  const startDiff = startup ? startup.version - startup.bare : 0;
  if (startup) lines.push(`${verdict(startDiff <= 100)}  \`node dist/cli.js --version\` within 0.1 s of bare node — ${fmt(startDiff)} ms more (${fmt(startup.version / startup.bare, 2)}×: ${fmt(startup.version)} vs ${fmt(startup.bare)} ms)`);
  const big = results.find((r) => r.shape.migrations === 10_000);
  if (big) lines.push(`${verdict(big.rssMb < 300)}  peak RSS under 300 MB for 10,000 migrations plus 5,000 code files — ${fmt(big.rssMb)} MB (${fmt(big.rssMb / 300, 2)}× the bound)`);
  const first = appRuns[0]?.result.firstAudit.processingMs ?? 0;
  if (appRuns.length > 0) lines.push(`${verdict(first < 2000)}  the app's first audit of 1,000 migrations plus 2,000 code files under 2 s of its own processing — ${fmt(first)} ms (${fmt(first / 2000, 2)}× the bound)`);
  for (const line of lines) console.log(line);
}
