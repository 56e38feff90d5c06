// Where an inline review comment for a finding may go, and whether it can carry a suggestion.
// GitHub rejects a whole review when one comment is off the diff, so every placement is checked
// against the pull request's hunks here.
import type { Finding } from "../core/types.js";
import type { ChangedFile } from "../source/github-source.js";
import type { InlinePlacement } from "../report/github.js";
import { lineIndex, scanSql } from "../sql/parser.js";
import { withoutApartLine } from "../advisor/fix-placement.js";

/** The 1-based line of the semicolon ending the statement that contains `line`, or null. */
export function statementEndLine(text: string, line: number, column = 1): number | null {
  const scanned = scanSql(text);
  if (!scanned.ok) return null;
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next === -1) return null;
    offset = next + 1;
  }
  offset += Math.max(0, column - 1);
  const at = lineIndex(text);
  const end = scanned.tokens.find((t) => t.text === ";" && t.start >= offset);
  return end ? at(end.start).line : null;
}

function hunkOf(file: ChangedFile, line: number): { start: number; end: number } | undefined {
  return file.hunks.find((h) => line >= h.start && line <= h.end);
}

/**
 * A placement on the finding's line when the diff shows it. For a SQL fix in a `.sql` file the
 * comment spans the statement; since a suggestion replaces every line it covers, a fix that follows
 * the statement repeats those lines first, and a fix that rewrites the statement stands alone.
 */
export function placeFinding(finding: Finding, file: ChangedFile | undefined, fileText: string | null): InlinePlacement | null {
  if (!file || !file.hasPatch) return null;
  const { line } = finding.location;
  if (!file.rightLines.has(line)) return null;
  const placement: InlinePlacement = { path: file.path, line };
  const kind = finding.fix?.placement ?? "after";
  if (!finding.fix || kind === "separate" || fileText === null || !file.path.toLowerCase().endsWith(".sql")) return placement;

  const endLine = statementEndLine(fileText, line, finding.location.column);
  const hunk = hunkOf(file, line);
  if (endLine === null || !hunk || endLine > hunk.end) return placement;
  const lines = fileText.split("\n");
  const covered = lines.slice(line - 1, endLine).map((l) => l.replace(/\r$/, ""));
  const fix = fixForFile(finding, fileText).split("\n");
  return {
    path: file.path,
    line: endLine,
    startLine: endLine > line ? line : undefined,
    suggestion: kind === "replace" ? fix : [...covered, ...fix],
    suggestionReplaces: kind === "replace",
  };
}

/**
 * The fix as it should read inside this migration file. An index on a table the same file creates
 * is built on an empty table: CONCURRENTLY buys nothing there and fails inside the file's transaction.
 */
export function fixForFile(finding: Finding, fileText: string): string {
  const sql = (finding.fix?.sql ?? "").trim().replace(/;?$/, ";");
  const bare = finding.table.includes(".") ? finding.table.slice(finding.table.indexOf(".") + 1) : finding.table;
  const name = bare.replace(/"/g, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const createsTable = new RegExp(`create\\s+(?:unlogged\\s+)?table\\s+(?:if\\s+not\\s+exists\\s+)?(?:"?\\w+"?\\.)?"?${name}"?[\\s(]`, "i");
  if (!createsTable.test(fileText)) return sql;
  return withoutApartLine(sql).replace(/\bCREATE(\s+UNIQUE)?\s+INDEX\s+CONCURRENTLY\b/i, "CREATE$1 INDEX");
}
