// A query issued once per iteration of a loop: N round trips where one set-based query would do.
import type { AccessPattern, FindingDraft, Schema } from "../core/types.js";
import { findPatternTable, patternRelation, qualifiedTableName } from "../schema/lookup.js";
import type { Rule, RuleContext } from "./rule.js";

function qualified(schema: Schema, pattern: AccessPattern): string {
  const found = findPatternTable(schema, pattern);
  if (found) return qualifiedTableName(found);
  const relation = patternRelation(pattern);
  return `${relation.schema ?? "public"}.${relation.name}`;
}

/** The columns a batched query would key on: those the loop compares with one value per iteration. */
function lookupColumns(pattern: AccessPattern): string[] {
  const columns = pattern.predicates.filter((p) => (p.op === "eq" || p.op === "in") && p.sentAs === "param" && p.column).map((p) => p.column!);
  return [...new Set(columns)];
}

function suggestion(pattern: AccessPattern, columns: string[]): string {
  const column = columns[0] ?? "id";
  if (pattern.kind === "insert" || pattern.kind === "upsert") {
    return pattern.source === "supabase-js"
      ? `collect the rows and send them in one \`.${pattern.kind}([...rows])\` call`
      : "collect the rows and write them in one multi-row `INSERT ... VALUES` (or `INSERT ... SELECT FROM unnest($1::...[])`)";
  }
  if (pattern.source === "supabase-js") return `collect the keys and run one query with \`.in("${column}", ids)\``;
  if (pattern.source === "plpgsql") return `replace the loop with one set-based statement (a join, or \`${column} = ANY(array)\`)`;
  return `collect the keys and run one query with \`WHERE ${column} = ANY($1)\``;
}

export const nPlusOne: Rule = {
  id: "n-plus-one",
  description: "A query issued inside a loop body, once per iteration, where one set-based query would do.",
  defaultSeverity: "routine",
  check(context: RuleContext): FindingDraft[] {
    const findings: FindingDraft[] = [];
    // One finding per call site: a query with embeds or joins yields several patterns at one place.
    const seen = new Set<string>();
    for (const pattern of context.patterns) {
      if (!pattern.inLoop) continue;
      const site = `${pattern.location.file}:${pattern.location.line}:${pattern.location.column}`;
      if (seen.has(site)) continue;
      seen.add(site);
      const columns = lookupColumns(pattern);
      const loop = pattern.loop ? `the ${pattern.loop.kind} loop at line ${pattern.loop.line}` : "a loop";
      const where = pattern.functionName ? `\`${pattern.functionName}()\`` : "This code";
      const verb = pattern.kind === "select" ? "reads" : pattern.kind === "delete" ? "deletes from" : pattern.kind === "insert" || pattern.kind === "upsert" ? "writes to" : "updates";
      findings.push({
        rule: "n-plus-one",
        severity: "routine",
        table: qualified(context.schema, pattern),
        columns,
        message: `${where} ${verb} \`${pattern.table}\` inside ${loop}: one round trip per iteration (N+1). ${capitalise(suggestion(pattern, columns))}.`,
        location: pattern.location,
        details:
          "Each iteration waits for its own round trip to the database, so the time grows with the number of items, " +
          "and each query pays parsing, planning and network latency again. One set-based query fetches or writes the same rows at once; " +
          "map the results back to the items in code.",
        key: `${pattern.location.file}:${pattern.functionName ?? ""}:${pattern.kind}`,
      });
    }
    return findings;
  },
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
