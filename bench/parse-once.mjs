// The floor, as a command of its own: read every migration under a folder and run the bare parser over
// it, single-threaded, nothing else. Plain JavaScript so that node runs it without a loader, as it runs
// the CLI. Prints one JSON line: parse time, whole-process time, statements, peak RSS.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { loadModule, parseSync } from "libpg-query";

function sqlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => (entry.isDirectory() ? sqlFiles(path.join(dir, entry.name)) : entry.name.endsWith(".sql") ? [path.join(dir, entry.name)] : []));
}

await loadModule();
const started = performance.now();
let statements = 0;
for (const file of sqlFiles(process.argv[2])) statements += parseSync(readFileSync(file, "utf8")).stmts?.length ?? 0;
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, processMs: performance.now(), statements, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
