// Rows fetched from the database, then counted or summed in application code inside loops that walk a
// date or number range (days × hours × rows): work that grows with rows × range steps, which one
// GROUP BY over date_trunc / generate_series does in the database.
import type { AccessPattern, FindingDraft, Schema } from "../core/types.js";
import { findPatternTable, patternRelation, qualifiedTableName } from "../schema/lookup.js";
import type { Rule, RuleContext } from "./rule.js";

function qualified(schema: Schema, pattern: AccessPattern): string {
  const found = findPatternTable(schema, pattern);
  if (found) return qualifiedTableName(found);
  const relation = patternRelation(pattern);
  return `${relation.schema ?? "public"}.${relation.name}`;
}

/** The column the query bounds by a range: the time column the buckets are cut from. */
function rangeColumn(pattern: AccessPattern): string | undefined {
  return pattern.predicates.find((p) => p.op === "range" && p.column)?.column ?? pattern.orderBy.find((o) => o.column)?.column;
}

function loopText(loop: { kind: string; line: number }): string {
  return `${loop.kind} loop at line ${loop.line}`;
}

export const appSideAggregation: Rule = {
  id: "app-side-aggregation",
  description: "Rows fetched from the database and then aggregated in application code inside loops over a date or number range.",
  defaultSeverity: "important",
  check(context: RuleContext): FindingDraft[] {
    const findings: FindingDraft[] = [];
    const seen = new Set<string>();
    for (const pattern of context.patterns) {
      const nest = pattern.rowsIteratedIn;
      if (!nest || nest.length < 2 || pattern.kind !== "select") continue;
      const site = `${pattern.location.file}:${pattern.location.line}:${pattern.location.column}`;
      if (seen.has(site)) continue;
      seen.add(site);
      const ranges = nest.slice(0, -1);
      const rowsLoop = nest[nest.length - 1];
      const column = rangeColumn(pattern);
      const bucket = column ? `date_trunc('hour', ${column})` : "date_trunc('hour', <time column>)";
      const where = pattern.functionName ? `\`${pattern.functionName}()\`` : "This code";
      findings.push({
        rule: "app-side-aggregation",
        severity: "important",
        table: qualified(context.schema, pattern),
        columns: column ? [column] : [],
        message:
          `${where} fetches \`${pattern.table}\` (line ${pattern.location.line}) and walks every row in the ${loopText(rowsLoop)}, ` +
          `once per step of the ${ranges.map(loopText).join(" → ")}: rows × range steps of work in application code. ` +
          `Aggregate in SQL instead: \`GROUP BY ${bucket}\`, over \`generate_series(start, end, interval '1 hour')\` where empty buckets or spans count.`,
        location: pattern.location,
        related: nest.map((loop) => ({ file: pattern.location.file, line: loop.line, column: 1 })),
        details:
          "Every step of the range (each day, each hour) walks the whole result again, so the work grows with rows × steps, and every row " +
          "crosses the network first. PostgreSQL can cut the rows into buckets where they are stored and send one row per bucket: " +
          `\`SELECT ${bucket} AS bucket, count(*) FROM ${pattern.table} WHERE ... GROUP BY bucket\`. For spans that cover several ` +
          "buckets (a session from 9:40 to 12:10), join the buckets from `generate_series(start, end, interval '1 hour') AS h(hour)` to the rows " +
          "that overlap each one (`started_at < h.hour + interval '1 hour' AND coalesce(ended_at, now()) > h.hour`) and group by `h.hour`. " +
          "An index on the filter and time columns serves the range scan.",
        key: `${pattern.location.file}:${pattern.functionName ?? ""}`,
      });
    }
    return findings;
  },
};
