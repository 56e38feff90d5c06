// Child process of the benchmark: audits one folder with the verify stage and prints one JSON line:
// the static audit's time, then PGlite's boot, the replay, the sizes and each EXPLAIN.
import { performance } from "node:perf_hooks";
import { audit } from "../src/audit.js";
import { loadConfig } from "../src/config/load.js";
import { fsSource } from "../src/source/fs-source.js";
import { initParser } from "../src/sql/parser.js";

const root = process.argv[2];
await initParser();
const loaded = await loadConfig({ root });
if (!loaded.ok) throw new Error(loaded.message);
let started = performance.now();
const plain = await audit(fsSource(root), { config: loaded.config });
const staticMs = performance.now() - started;
started = performance.now();
const result = await audit(fsSource(root), { config: { ...loaded.config, verify: true } });
const verifiedMs = performance.now() - started;
const sets = result.verification?.sets ?? [];
const explains = sets.flatMap((s) => s.explainMs);
process.stdout.write(
  JSON.stringify({
    ms: verifiedMs,
    staticMs,
    statements: result.stats.statements,
    findings: plain.findings.length,
    verified: result.verification?.verified ?? 0,
    demoted: result.verification?.demoted.length ?? 0,
    failures: result.findings.filter((f) => f.rule === "migration-fails").length,
    bootMs: sets.reduce((n, s) => n + s.bootMs, 0),
    replayMs: sets.reduce((n, s) => n + s.replayMs, 0),
    scaleMs: sets.reduce((n, s) => n + s.scaleMs, 0),
    explains: explains.length,
    explainMs: explains.length ? explains.reduce((a, b) => a + b, 0) / explains.length : 0,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }) + "\n",
);
