// The prefilter against parsing everything: for each folder, every code file the audit would read is
// extracted twice, once through extractFromCodeFile() (which skips files the prefilter rules out) and
// once parsed unconditionally. Prints files parsed, patterns and time, and every file whose patterns
// differ (there must be none). Run with `node --import tsx bench/prefilter-check.ts <folder>...`.
import { performance } from "node:perf_hooks";
import { parseSync } from "oxc-parser";
import { DEFAULT_CONFIG } from "../src/core/config.js";
import { CODE_CLIENTS } from "../src/queries/clients/index.js";
import type { Node } from "../src/queries/code/ast.js";
import { CodeWalker } from "../src/queries/code/walker.js";
import { extractFromCodeFile } from "../src/queries/code-file.js";
import { mayQuery } from "../src/queries/may-query.js";
import { selectQueryFiles } from "../src/queries/select-files.js";
import { collectSharedConstants, emptyConstants, type SharedConstants } from "../src/queries/shared-constants.js";
import { fsSource } from "../src/source/fs-source.js";
import { textReader } from "../src/source/source.js";
import { initParser, lineIndex } from "../src/sql/parser.js";

function parseAll(path: string, text: string, shared: SharedConstants): unknown[] {
  const lang = /\.tsx$/.test(path) ? "tsx" : /\.[cm]?ts$/.test(path) ? "ts" : "jsx";
  const parsed = parseSync(path, text, { sourceType: "module", lang });
  if (parsed.errors.some((e) => e.severity === "Error")) return [];
  const walker = new CodeWalker(path, parsed.program as unknown as Node, parsed.comments, lineIndex(text), shared, CODE_CLIENTS);
  walker.run();
  return walker.patterns;
}

await initParser();
let failed = false;
console.log("| folder | code files | pass the method names | pass the prefilter | hold patterns | patterns | parse all | parse those passing the names | through the prefilter | missed |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const root of process.argv.slice(2)) {
  const source = fsSource(root);
  const read = textReader(source);
  const listed = (await source.list()).map((f) => f.path);
  const selected = await selectQueryFiles(listed, DEFAULT_CONFIG, [], read);
  const texts: Array<{ path: string; text: string }> = [];
  const shared = emptyConstants();
  for (const path of selected.code) {
    const r = await read(path);
    if (!r.ok) continue;
    texts.push({ path, text: r.text });
    collectSharedConstants(r.text, shared);
  }
  let before = 0, now = 0, holding = 0, patterns = 0;
  const missed: string[] = [];
  let allMs = 0, namesMs = 0, preMs = 0;
  for (const { path, text } of texts) {
    let t = performance.now();
    // What the quick test was before it judged receivers and arguments: any client's method name.
    if (CODE_CLIENTS.some((c) => c.mayQuery.test(text))) {
      before++;
      try { parseAll(path, text, shared); } catch { /* counted as none */ }
    }
    namesMs += performance.now() - t;
    if (mayQuery(text)) now++;
    t = performance.now();
    let all: unknown[] = [];
    try { all = parseAll(path, text, shared); } catch { /* counted as none */ }
    allMs += performance.now() - t;
    t = performance.now();
    let pre: unknown[] = [];
    try { pre = extractFromCodeFile(path, text, shared).patterns; } catch { /* counted as none */ }
    preMs += performance.now() - t;
    if (all.length) holding++;
    patterns += all.length;
    if (JSON.stringify(all) !== JSON.stringify(pre)) missed.push(`${path}: ${all.length} patterns parsing everything, ${pre.length} through the prefilter`);
  }
  console.log(`| ${root} | ${texts.length} | ${before} | ${now} | ${holding} | ${patterns} | ${Math.round(allMs)} ms | ${Math.round(namesMs)} ms | ${Math.round(preMs)} ms | ${missed.length} |`);
  for (const line of missed) console.log(`  - ${line}`);
  failed ||= missed.length > 0;
}
process.exitCode = failed ? 1 : 0;
