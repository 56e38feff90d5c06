// TS/JS file -> access patterns, with their function and loop. The shared walker (code/walker.ts)
// follows scopes, builder variables, branches and loops; each client recognizer (clients/) reads
// the queries of one client.
import { parseSync } from "oxc-parser";
import type { InputProblem } from "../core/types.js";
import { lineIndex } from "../sql/parser.js";
import { CODE_CLIENTS } from "./clients/index.js";
import type { Node } from "./code/ast.js";
import { CodeWalker } from "./code/walker.js";
import { mayQuery } from "./may-query.js";
import { emptyConstants, type SharedConstants } from "./shared-constants.js";
import type { EmbeddedPattern } from "./supabase.js";

export interface CodeFileResult {
  patterns: EmbeddedPattern[];
  problems: InputProblem[];
}

/** `shared` holds constants exported by the repository's files, for names this file imports. */
export function extractFromCodeFile(path: string, text: string, shared: SharedConstants = emptyConstants()): CodeFileResult {
  // Quick test before parsing: a file no client matches cannot hold a query, so it is not parsed
  // (and a syntax error in it, which cannot hide a query, is not reported).
  if (!mayQuery(text)) return { patterns: [], problems: [] };
  const at = lineIndex(text);
  let parsed: ReturnType<typeof parseSync>;
  try {
    // JSX is common in .js files; TypeScript files keep `<T>x` assertions, so only .tsx gets JSX.
    const lang = /\.tsx$/.test(path) ? "tsx" : /\.[cm]?ts$/.test(path) ? "ts" : "jsx";
    parsed = parseSync(path, text, { sourceType: "module", lang });
  } catch (error) {
    return { patterns: [], problems: [{ message: `${path}:1: cannot parse: ${(error as Error).message}`, location: { file: path, line: 1, column: 1 } }] };
  }
  const fatal = parsed.errors.find((e) => e.severity === "Error");
  if (fatal) {
    const offset = fatal.labels[0]?.start ?? 0;
    const { line, column } = at(offset);
    return {
      patterns: [],
      problems: [{ message: `${path}:${line}:${column}: syntax error, file skipped: ${fatal.message}`, location: { file: path, line, column } }],
    };
  }
  const walker = new CodeWalker(path, parsed.program as unknown as Node, parsed.comments, at, shared, CODE_CLIENTS);
  walker.run();
  return { patterns: walker.patterns, problems: [] };
}
