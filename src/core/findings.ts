// Finishing findings: stable ids that survive moved lines, and the order reports list them in.
import { hash } from "node:crypto";
import type { Finding, FindingDraft, Location, Severity } from "./types.js";

const SEVERITY_RANK: Record<Severity, number> = { important: 0, routine: 1, noted: 2 };

/** 0 for the most severe; lower sorts first. */
export function severityRank(severity: Severity): number {
  return SEVERITY_RANK[severity];
}

/** True when `severity` is at or above `threshold` (`never` is above everything). */
export function meetsThreshold(severity: Severity, threshold: Severity | "never"): boolean {
  return threshold !== "never" && SEVERITY_RANK[severity] <= SEVERITY_RANK[threshold];
}

/**
 * A short hex fingerprint of what the finding is about: rule, migration set (when the
 * repository has several), table, columns (order-free) and the rule's key. Never line numbers,
 * so the same problem keeps its id when code above it moves.
 */
export function fingerprint(draft: FindingDraft, setName?: string): string {
  const parts = [draft.rule, setName ?? "", draft.table, [...draft.columns].sort().join(","), draft.key ?? ""];
  // One-shot hash: no Hash object per finding (same digest as createHash().update().digest()).
  return hash("sha256", parts.join("\u0000"), "hex").slice(0, 16);
}

/** Severity first, then file, line and column; rule and id break ties so the order is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : 0) ||
    a.location.line - b.location.line ||
    a.location.column - b.location.column ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * A message with its line, column and offset numbers masked (`line 12` -> `line N`), for a finding's key:
 * a message that quotes positions would otherwise change the finding's id whenever lines move.
 */
export function withoutPositions(message: string): string {
  return message.replace(/\b(line|column|offset|position|at character)\s+\d+/gi, "$1 N");
}

/** A call site named in a message when its function has no name: `dir/file.ts:12` (the path's last two segments). */
export function siteName(location: Location): string {
  return `\`${location.file.split("/").slice(-2).join("/")}:${location.line}\``;
}
