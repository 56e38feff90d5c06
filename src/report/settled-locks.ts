// Lock findings on migrations that have already run. In a full-repository report of a long history they
// are hundreds of lines about statements nobody can change any more; the report groups them into one
// collapsed section instead. Pull request reports never use this: they show only what the change adds.
import type { AuditResult } from "../audit.js";
import { tableHint, type AuditConfig } from "../core/config.js";
import type { Finding } from "../core/types.js";
import { displayTable, formatLocation, shortLine } from "./common.js";

/**
 * The newest migration files of each set whose lock findings stay in the main report: they may still be
 * on their way to production, so their statements can still be changed. Everything applied before them
 * counts as already run.
 */
export const RECENT_MIGRATION_FILES = 3;

/** Tables named in the collapsed section's summary line. */
const LARGEST_TABLES = 5;

export interface LockSplit {
  /** Every finding except the settled lock findings. */
  main: Finding[];
  /** ROUTINE and NOTED index-locking findings on migration files older than the newest few of their set. */
  settled: Finding[];
}

/** Splits off the ROUTINE and NOTED lock findings on files before the newest `RECENT_MIGRATION_FILES` of their set. */
export function splitSettledLocks(result: AuditResult, findings: readonly Finding[]): LockSplit {
  const multi = result.sets.length > 1;
  // file -> how many files of its set come after it.
  const newerFiles = new Map<string, number>();
  for (const { set } of result.sets) {
    const last = Math.max(-1, ...set.files.map((f) => f.order));
    for (const file of set.files) newerFiles.set(`${multi ? set.name : ""}\u0000${file.path}`, last - file.order);
  }
  const main: Finding[] = [];
  const settled: Finding[] = [];
  for (const f of findings) {
    const newer = newerFiles.get(`${multi ? (f.set ?? "") : ""}\u0000${f.location.file}`);
    const old = f.rule === "index-locking" && f.severity !== "important" && newer !== undefined && newer >= RECENT_MIGRATION_FILES;
    (old ? settled : main).push(f);
  }
  return { main, settled };
}

/** The collapsed section: a count, the largest tables touched, then one line per finding. */
export function settledLocksSection(settled: readonly Finding[], config: AuditConfig): string[] {
  if (settled.length === 0) return [];
  const files = new Set(settled.map((f) => f.location.file)).size;
  const perTable = new Map<string, number>();
  for (const f of settled) if (f.table) perTable.set(f.table, (perTable.get(f.table) ?? 0) + 1);
  const rows = (qualified: string): number => {
    const dot = qualified.indexOf(".");
    return tableHint(config, qualified.slice(0, dot), qualified.slice(dot + 1))?.rows ?? -1;
  };
  // Largest by size hint; without hints, the tables these statements touched most often.
  const largest = [...perTable.keys()]
    .sort((a, b) => rows(b) - rows(a) || perTable.get(b)! - perTable.get(a)! || (a < b ? -1 : 1))
    .slice(0, LARGEST_TABLES)
    .map((t) => (rows(t) >= 0 ? `${displayTable(t)} (${rows(t).toLocaleString("en-US")} rows)` : `${displayTable(t)} (${perTable.get(t)}×)`));
  const out = ["## Lock Findings on Migrations That Already Ran", ""];
  out.push(
    `These statements lock tables without need, but they are in migrations older than the newest ${RECENT_MIGRATION_FILES} of their set, which have already run and cannot be changed. They are listed for the record; write new migrations the way each finding suggests.`,
    "",
  );
  out.push("<details>");
  out.push(`<summary>${settled.length} lock finding${settled.length === 1 ? "" : "s"} in ${files} older migration file${files === 1 ? "" : "s"}${largest.length ? `; largest tables touched: ${largest.join(", ")}` : ""}</summary>`, "");
  for (const f of settled) out.push(`- \`${formatLocation(f.location)}\` — ${shortLine(f)}`);
  out.push("", "</details>", "");
  return out;
}
