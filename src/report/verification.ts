// The report's account of the verify stage: what planned the evidence, at which sizes, what stood in
// for the platform, what was skipped, and how long it took.
import type { AuditResult } from "../audit.js";
import type { Location, PlanShape } from "../core/types.js";
import type { WhatIfQuery } from "../verify/index.js";
import { codeSpan, safeCell } from "./escape.js";

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
  const overruled = v.overruled ?? [];
  if (overruled.length) {
    out.push(`The planner overruled the static matcher on ${overruled.length} quer${overruled.length === 1 ? "y" : "ies"}: the matcher found an index for ${overruled.length === 1 ? "it" : "them"}, the planner reads the whole table (each is a finding):`);
    for (const c of overruled.slice(0, MAX_LISTED)) {
      const at = c.locations[0];
      out.push(`- ${codeSpan(`${at.file}:${at.line}`)} ${codeSpan(c.query)}: ${c.access === "none" ? "no index recommended, as" : "served, the matcher says, by"} ${codeSpan(c.index)}; planned as ${c.plan.node} at ${c.rows.toLocaleString("en-US")} rows${c.recommended ? `; ${codeSpan(c.recommended)} is used instead` : ""}.`);
    }
    if (overruled.length > MAX_LISTED) out.push(`- …and ${overruled.length - MAX_LISTED} more.`);
    out.push("");
  }
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

function planCell(shape: PlanShape | null): string {
  if (!shape) return "did not plan";
  const cost = shape.cost >= 100 ? Math.round(shape.cost).toLocaleString("en-US") : String(Math.round(shape.cost * 100) / 100);
  return `${safeCell(shape.node)}${shape.index ? ` using ${codeSpan(shape.index).replace(/\|/g, "\\|")}` : ""}, cost ${cost}`;
}

function siteCell(q: WhatIfQuery): string {
  const first: Location = q.locations[0];
  const more = q.locations.length > 1 ? ` (+${q.locations.length - 1})` : "";
  return `${q.functionName ? `${safeCell(`${q.functionName}()`)} ` : ""}${safeCell(`\`${first.file}:${first.line}\``)}${more}`;
}

/** The query after its `FROM table`: its WHERE, ORDER BY and LIMIT, which is what differs between a table's queries. */
function queryShape(sql: string): string {
  const rest = sql.replace(/^SELECT \* FROM (?:"(?:[^"]|"")*"|[^\s.]+)(?:\.(?:"(?:[^"]|"")*"|\S+))?\s*/, "");
  return rest || "(whole table)";
}

/**
 * The what-if table of the full report for one migration set: for each hinted table of 100,000 rows
 * or more, its queries planned at the declared size today and with the recommended indexes, collapsed.
 * Empty when the verify stage did not run or planned no such table.
 */
export function whatIfSection(result: AuditResult, setName: string, suffix: string): string[] {
  const set = result.verification?.sets.find((s) => s.name === setName);
  const tables = set?.whatIf ?? [];
  if (tables.length === 0) return [];
  const out = [`## What if: plans at the declared sizes${suffix}`, ""];
  out.push(
    `Each query the code makes on a table with a size hint of 100,000 rows or more, planned by ${result.verification!.planner} as the client sends it (generic plan for bound parameters): as the migrations leave the schema, and with every index the findings recommend for that table created (then rolled back).`,
    "",
  );
  for (const t of tables) {
    const changed = t.queries.filter((q) => q.withIndexes && q.today && (q.withIndexes.node !== q.today.node || q.withIndexes.index !== q.today.index)).length;
    const label = `${t.queries.length} quer${t.queries.length === 1 ? "y" : "ies"}; ${t.indexes.length ? `${changed} planned differently with ${t.indexes.map((n) => codeSpan(n)).join(", ")}` : "no index recommended"}`;
    out.push(`### ${codeSpan(t.schema === "public" ? t.name : `${t.schema}.${t.name}`)} at ${t.rows.toLocaleString("en-US")} rows`, "");
    out.push("<details>", `<summary>${label}</summary>`, "");
    out.push("| Call site | Query | Today | With the recommended indexes |", "|---|---|---|---|");
    for (const q of t.queries) {
      out.push(`| ${siteCell(q)} | ${codeSpan(queryShape(q.query)).replace(/\|/g, "\\|")} | ${planCell(q.today)} | ${t.indexes.length ? planCell(q.withIndexes) : "—"} |`);
    }
    if (t.omitted) out.push("", `…and ${t.omitted} more quer${t.omitted === 1 ? "y" : "ies"}, not planned.`);
    out.push("", "</details>", "");
  }
  return out;
}
