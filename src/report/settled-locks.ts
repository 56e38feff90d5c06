// Lock findings on migrations that have already run. In a full-repository report of a long history they
// are hundreds of lines about statements nobody can change any more; the report groups them into one
// collapsed section instead. Pull request reports never use this: they show only what the change adds.
import type { AuditResult } from "../audit.js";
import { tableHint, type AuditConfig } from "../core/config.js";
import type { Finding } from "../core/types.js";
import { LOCK_RULES } from "../rules/migration-scope.js";
import { isSettledMigrationFile, RECENT_MIGRATION_FILES } from "../rules/model.js";
import { displayTable, formatLocation, shortLine } from "./common.js";

export { RECENT_MIGRATION_FILES };

/** Tables named in the collapsed section's summary line. */
const LARGEST_TABLES = 5;

export interface LockSplit {
  /** Every finding except the settled lock findings. */
  main: Finding[];
  /** ROUTINE and NOTED lock, scan and rewrite findings (LOCK_RULES) on migration files older than the newest few of their set. */
  settled: Finding[];
}

/** Splits off the ROUTINE and NOTED lock findings on files before the newest `RECENT_MIGRATION_FILES` of their set (`isSettledMigrationFile`). */
export function splitSettledLocks(result: AuditResult, findings: readonly Finding[]): LockSplit {
  const multi = result.sets.length > 1;
  const byName = new Map(result.sets.map(({ set }) => [set.name, set]));
  const main: Finding[] = [];
  const settled: Finding[] = [];
  for (const f of findings) {
    const set = multi ? byName.get(f.set ?? "") : result.sets[0]?.set;
    const old = LOCK_RULES.has(f.rule) && f.severity !== "important" && set !== undefined && isSettledMigrationFile(set, f.location.file);
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
