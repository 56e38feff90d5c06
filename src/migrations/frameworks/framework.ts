// What every framework module offers discovery: find its folders, and order one folder's files
// the way the framework applies them (with how each file runs: in a transaction or not).
import type { TextReader } from "../../source/source.js";
import type { Framework, InputProblem, MigrationFile, MigrationSet } from "../../core/types.js";
import { prepareScript } from "../script.js";

export interface DiscoverContext {
  /** Every file of the repository, sorted. */
  files: string[];
  fileSet: Set<string>;
  read: TextReader;
  /**
   * Migration folders that a drizzle config's `out` names (repository paths): Drizzle's wherever they sit,
   * a `supabase/migrations` folder included. Filled by discovery before any module's detect runs.
   */
  drizzleOuts?: ReadonlySet<string>;
}

/** A folder (or single file) that holds one set of migrations, with the files under it. */
export interface Candidate {
  /** The folder that holds the migrations (for a schema dump: the dump file itself). */
  root: string;
  files: string[];
}

export interface BuildResult {
  set: MigrationSet | null;
  problems: InputProblem[];
  /** Why a folder that looked like migrations is not audited (e.g. not PostgreSQL). */
  skipped?: string;
}

export interface FrameworkModule {
  framework: Framework;
  /** Finds this framework's migration folders among `files` (those no other framework claimed). */
  detect(files: string[], ctx: DiscoverContext): Candidate[];
  /** Orders one folder's files as the framework applies them. */
  build(candidate: Candidate, ctx: DiscoverContext): Promise<BuildResult>;
}

export function problemAt(file: string, message: string, line = 1, column = 1): InputProblem {
  return { message, location: { file, line, column } };
}

/** A migration list (Drizzle journal, Sqitch plan) out of step with the files beside it. */
export function listingAt(file: string, message: string, line = 1): InputProblem {
  return { ...problemAt(file, message, line), kind: "listing" };
}

export function toMigrationFiles(paths: string[], runsInTransaction: (path: string, index: number) => boolean): MigrationFile[] {
  return paths.map((path, order) => ({ path, order, runsInTransaction: runsInTransaction(path, order) }));
}

/** Reads a file's text, or null when it cannot be read (load reports that, with the file's name). */
export async function readText(ctx: DiscoverContext, path: string): Promise<string | null> {
  const result = await ctx.read(path);
  return result.ok ? result.text : null;
}

/** Number of statements in a script (comments and blank space do not count). */
export function statementCount(text: string): number {
  return prepareScript(text).spans.length;
}

/** Appends to the list kept under `key`, creating it on first use. */
export function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
