// Preloaded into a measured command (`node --import ./bench/peak-rss.mjs dist/cli.js ...`): writes the
// process's peak resident set size, in kB, to the file BENCH_RSS_FILE names when it exits.
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
