// Where an Auth.js / NextAuth configuration keeps its sessions. With `session: { strategy: "jwt" }` the
// session lives in an encrypted cookie and the database adapter never writes its sessions table, even when
// an adapter is configured for users and accounts (Auth.js documentation, "Session strategies"). fk-index
// reads this: a foreign key on a table nothing writes is never checked on a row that exists.
import type { CodeFacts, Location } from "../core/types.js";
import type { TextReader } from "../source/source.js";

/** Files that can hold an auth configuration: code whose path names auth (`server/auth.ts`, `[...nextauth].ts`). */
const AUTH_FILE = /auth[^/]*\.(?:[cm]?[jt]sx?)$|\/auth\/[^/]+\.(?:[cm]?[jt]sx?)$/i;
const SKIPPED_DIR = /(^|\/)(node_modules|dist|build|\.next|coverage)\//;

/** `session: { ... strategy: "jwt" ... }` in one object literal, quotes of any kind. */
const JWT_STRATEGY = /\bsession\s*:\s*\{[^{}]*?\bstrategy\s*:\s*(["'`])jwt\1/;
/** A NextAuth / Auth.js configuration: the import or the call. */
const AUTH_LIBRARY = /\bfrom\s+["'](?:next-auth(?:\/[^"']*)?|@auth\/[^"']+)["']|\bNextAuth\s*\(/;

/**
 * Reads the facts about the code that rules weigh beside the query patterns. Only files whose path names
 * auth are read, so the cost is a handful of reads. A file that cannot be read is skipped: it says nothing.
 */
export async function readCodeFacts(files: string[], read: TextReader): Promise<CodeFacts> {
  const facts: CodeFacts = {};
  for (const file of files) {
    if (!AUTH_FILE.test(file) || SKIPPED_DIR.test(file)) continue;
    const result = await read(file);
    if (!result.ok || !AUTH_LIBRARY.test(result.text)) continue;
    const location = jwtSessionStrategy(file, result.text);
    if (location) {
      facts.jwtSessions = location;
      break;
    }
  }
  return facts;
}

/** Where the text sets `session: { strategy: "jwt" }`, or null. */
export function jwtSessionStrategy(file: string, text: string): Location | null {
  const match = JWT_STRATEGY.exec(text);
  if (!match) return null;
  const at = match.index + match[0].lastIndexOf("strategy");
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return { file, line, column: at - before.lastIndexOf("\n") };
}
