// Findings at the base of a pull request against findings at its head, matched by stable id.
import type { Finding, Severity } from "../core/types.js";

export interface FindingsDiff {
  /** At head, not at base: what the change introduces. */
  new: Finding[];
  /** At both: debt the change did not cause. The head's copy, so locations are current. */
  existing: Finding[];
  /** At base, gone at head: credited to the change. The base's copy, pointing where it was. */
  fixed: Finding[];
}

const SEVERITY_RANK: Record<Severity, number> = { important: 0, routine: 1, noted: 2 };

/** Most severe first, then by place, so reports and comment order are stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    a.location.file.localeCompare(b.location.file) ||
    a.location.line - b.location.line ||
    a.id.localeCompare(b.id)
  );
}

/** Matches by `id`. With no base (a first commit, a branch without a pull request) everything is existing. */
export function diffFindings(base: Finding[] | null, head: Finding[]): FindingsDiff {
  if (base === null) return { new: [], existing: [...head].sort(compareFindings), fixed: [] };
  const baseIds = new Set(base.map((f) => f.id));
  const headIds = new Set(head.map((f) => f.id));
  return {
    new: head.filter((f) => !baseIds.has(f.id)).sort(compareFindings),
    existing: head.filter((f) => baseIds.has(f.id)).sort(compareFindings),
    fixed: base.filter((f) => !headIds.has(f.id)).sort(compareFindings),
  };
}

/** True when the severity is at or above the threshold (`never` is above everything). */
export function atOrAbove(severity: Severity, threshold: Severity | "never"): boolean {
  if (threshold === "never") return false;
  return SEVERITY_RANK[severity] <= SEVERITY_RANK[threshold];
}

export type Conclusion = "success" | "failure" | "neutral";

/** The check run's verdict: fail on a new finding at or above fail-on; only new lower findings may be neutral. */
export function conclusionFor(
  diff: FindingsDiff,
  failOn: Severity | "never",
  belowFailOn: "success" | "neutral",
): Conclusion {
  if (diff.new.some((f) => atOrAbove(f.severity, failOn))) return "failure";
  if (diff.new.length > 0 && belowFailOn === "neutral") return "neutral";
  return "success";
}
