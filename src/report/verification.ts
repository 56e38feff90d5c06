// The report's account of the verify stage: what planned the evidence, at which sizes, what stood in
// for the platform, what was skipped, and how long it took.
import type { AuditResult } from "../audit.js";

const MAX_LISTED = 20;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The `## Verification` section of the markdown report; empty when the stage did not run. */
export function verificationSection(result: AuditResult): string[] {
  const v = result.verification;
  if (!v) return [];
  const out = ["## Verification", ""];
  const failures = result.findings.filter((f) => f.rule === "migration-fails").length;
  out.push(
    `The migrations were replayed into ${v.planner} (PGlite, in process), one statement at a time, and each recommended index was planned before and after it was created, at the table sizes below. ` +
      `${v.verified} finding${v.verified === 1 ? "" : "s"} carry the planner's evidence; ${v.demoted.length} recommendation${v.demoted.length === 1 ? " was" : "s were"} demoted to NOTED because the planner did not use the index; ` +
      `${failures} statement${failures === 1 ? "" : "s"} PostgreSQL refused.`,
    "",
  );
  for (const set of v.sets) {
    if (v.sets.length > 1) out.push(`**${set.name}**`, "");
    const hinted = set.tables.filter((t) => t.hinted);
    const sizes = hinted.map((t) => `\`${t.name}\` ${t.rows.toLocaleString("en-US")}`).join(", ");
    out.push(`- Sizes: ${sizes ? `${sizes} (from \`tables:\`); ` : ""}every other table ${v.defaultRows.toLocaleString("en-US")} rows (the default when a table has no size hint).`);
    const unscaled = set.tables.filter((t) => t.problem);
    if (unscaled.length) out.push(`- Not scaled: ${unscaled.map((t) => `\`${t.name}\` (${t.problem})`).join("; ")}.`);
    for (const s of set.standIns) out.push(`- Stand-in: ${s}.`);
    if (set.skipped.length) {
      out.push(`- Skipped ${set.skipped.length} statement${set.skipped.length === 1 ? "" : "s"} (not your error):`);
      for (const s of set.skipped.slice(0, MAX_LISTED)) out.push(`  - \`${s.location.file}:${s.location.line}\`: ${s.reason.split("\n")[0]}`);
      if (set.skipped.length > MAX_LISTED) out.push(`  - …and ${set.skipped.length - MAX_LISTED} more.`);
    }
    for (const u of set.unverified.slice(0, MAX_LISTED)) out.push(`- Not verified: finding \`${u.id}\`: ${u.reason}.`);
    const explain = set.explainMs.length ? `, ${set.explainMs.length} EXPLAIN${set.explainMs.length === 1 ? "" : "s"} averaging ${(set.explainMs.reduce((a, b) => a + b, 0) / set.explainMs.length).toFixed(1)} ms` : "";
    out.push(`- Time: start ${seconds(set.bootMs)}, replay ${seconds(set.replayMs)} (${set.statements} statements), sizes ${seconds(set.scaleMs)}${explain}.`, "");
  }
  return out;
}
