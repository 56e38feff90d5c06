// A select with no limit on a table expected to be large: it returns (and the server reads) every matching row.
import { tableHint } from "../core/config.js";
import type { FindingDraft } from "../core/types.js";
import { isUniqueLookup } from "../queries/unique-lookup.js";
import { findPatternTable, qualifiedTableName } from "../schema/lookup.js";
import type { Rule, RuleContext } from "./rule.js";

export const unboundedQuery: Rule = {
  id: "unbounded-query",
  description: "A select with no limit, range or single() on a table whose size hint is large.",
  defaultSeverity: "routine",
  check(context: RuleContext): FindingDraft[] {
    const findings: FindingDraft[] = [];
    const seen = new Set<string>();
    for (const pattern of context.patterns) {
      if (pattern.kind !== "select" || pattern.limited) continue;
      // Views and function bodies are read by other queries, which carry their own limits.
      if (pattern.source === "view" || pattern.source === "plpgsql" || pattern.source === "cron") continue;
      const table = findPatternTable(context.schema, pattern);
      if (!table) continue;
      const rows = tableHint(context.config, table.schema, table.name)?.rows;
      if (rows === undefined || rows < context.config.unboundedThreshold) continue;
      if (isUniqueLookup(pattern, table)) continue;
      const site = `${pattern.location.file}:${pattern.location.line}:${pattern.location.column}:${pattern.table}`;
      if (seen.has(site)) continue;
      seen.add(site);
      const filters = [...new Set(pattern.predicates.filter((p) => p.column).map((p) => p.column!))];
      const where = pattern.functionName ? `\`${pattern.functionName}()\`` : "This query";
      const filtered = filters.length > 0 ? `filtered only by ${filters.map((f) => `\`${f}\``).join(", ")}` : "with no filter";
      const fix =
        pattern.source === "supabase-js"
          ? "Add `.range(from, to)` (or `.limit(n)`) and page through the rows"
          : "Add `LIMIT` and page through the rows";
      const order = pattern.orderBy.map((o) => o.column ?? o.expression).filter(Boolean);
      const keyset = order.length > 0
        ? `For deep pages use keyset pagination: remember the last \`${order.join(", ")}\` seen and ask for the rows after it, which an index on the filter and sort columns serves without reading the skipped rows.`
        : "For deep pages use keyset pagination on an indexed sort key (e.g. `created_at, id`): ask for the rows after the last one seen instead of an OFFSET.";
      findings.push({
        rule: "unbounded-query",
        severity: "routine",
        table: qualifiedTableName(table),
        columns: filters,
        message: `${where} selects from \`${table.name}\` (expected ${rows.toLocaleString("en-US")} rows) ${filtered} and no limit: every matching row is read and sent.`,
        location: pattern.location,
        details: `${fix}. ${keyset}`,
        key: `${pattern.location.file}:${pattern.functionName ?? ""}`,
      });
    }
    return findings;
  },
};
