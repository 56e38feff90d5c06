// `-- squawk-ignore <rule>[, <rule>...]` comments, honoured for the index-audit rules that report what the
// named Squawk rule reports, so suppressions written for Squawk carry over. The comment applies to the
// statement on the next line that is neither blank nor a comment, as in Squawk.
import type { Suppression } from "../core/types.js";

/** Squawk rule -> the index-audit rules that cover the same statements (docs/rules/*.md, "Other linters"). */
export const SQUAWK_RULES: Readonly<Record<string, readonly string[]>> = {
  "require-concurrent-index-creation": ["index-locking"],
  "require-concurrent-index-deletion": ["index-locking"],
  "ban-concurrent-index-creation-in-transaction": ["index-locking"],
  "disallowed-unique-constraint": ["index-locking"],
  "adding-foreign-key-constraint": ["index-locking", "constraint-validation"],
  "constraint-missing-not-valid": ["index-locking", "constraint-validation"],
  "adding-not-nullable-field": ["constraint-validation"],
  "adding-field-with-default": ["table-rewrite"],
  "adding-serial-primary-key-field": ["table-rewrite", "index-locking"],
  "changing-column-type": ["table-rewrite"],
  "require-timeout-settings": ["lock-timeout"],
  "renaming-column": ["breaking-change"],
  "renaming-table": ["breaking-change"],
  "ban-drop-column": ["breaking-change"],
  "ban-drop-table": ["breaking-change"],
};

const COMMENT = /^\s*--\s*squawk-ignore\s+([A-Za-z0-9][\w-]*(?:\s*,\s*[A-Za-z0-9][\w-]*)*)\s*$/;

/** Suppressions from squawk-ignore comments, keyed by the 1-based line of the statement they apply to. */
export function squawkSuppressions(text: string, file: string): Map<number, Suppression[]> {
  const byLine = new Map<number, Suppression[]>();
  if (!text.includes("squawk-ignore")) return byLine;
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const match = COMMENT.exec(line);
    if (!match) return;
    let target = index + 1;
    while (target < lines.length && (lines[target].trim() === "" || lines[target].trim().startsWith("--"))) target++;
    if (target >= lines.length) return;
    const list = byLine.get(target + 1) ?? [];
    for (const squawk of match[1].split(",").map((r) => r.trim())) {
      for (const rule of SQUAWK_RULES[squawk] ?? []) {
        list.push({ rule, reason: `squawk-ignore ${squawk}`, location: { file, line: index + 1, column: 1 } });
      }
    }
    if (list.length > 0) byLine.set(target + 1, list);
  });
  return byLine;
}
