// Child process of the benchmark: audits one folder and prints one JSON line of figures.
// Running each size in its own process makes the peak RSS that of that size alone.
import { performance } from "node:perf_hooks";
import { audit } from "../src/audit.js";
import { DEFAULT_CONFIG } from "../src/core/config.js";
import { fsSource } from "../src/source/fs-source.js";
import { initParser } from "../src/sql/parser.js";

const root = process.argv[2];
await initParser();
const started = performance.now();
const result = await audit(fsSource(root), { config: DEFAULT_CONFIG });
const ms = performance.now() - started;
const bySource: Record<string, number> = {};
for (const set of result.sets) for (const pattern of set.patterns) bySource[pattern.source] = (bySource[pattern.source] ?? 0) + 1;
process.stdout.write(
  JSON.stringify({
    ms,
    statements: result.stats.statements,
    migrationFiles: result.stats.migrationFiles,
    codeFiles: result.stats.codeFiles,
    patterns: result.stats.patterns,
    findings: result.findings.length,
    bySource,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }) + "\n",
);
