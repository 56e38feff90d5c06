// Child process of the benchmark: the floor — read every migration and run the bare parser over it, nothing else.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { loadModule, parseSync } from "libpg-query";

const dir = path.join(process.argv[2], "supabase", "migrations");
await loadModule();
const started = performance.now();
let statements = 0;
for (const name of readdirSync(dir).sort()) {
  const sql = readFileSync(path.join(dir, name), "utf8");
  statements += parseSync(sql).stmts?.length ?? 0;
}
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, statements, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
