// query-index's note on a hand-written partial index that a client's bound parameters keep out of generic
// plans (plancache.c, choose_custom_plan), with the index that serves the same queries under either plan.
import type { AccessPattern, FindingDraft, Location, Table } from "../core/types.js";
import { type IndexMatch, keyLabel, type PatternMatch } from "../advisor/match.js";
import { adviseTable, genericPlanCaveat } from "../advisor/recommend.js";
import { placeFix } from "../advisor/fix-placement.js";
import { qualifiedTableName } from "../schema/lookup.js";
import { siteName } from "../core/findings.js";
import type { RuleContext } from "./rule.js";
import { compareText } from "../advisor/text-order.js";

const RULE_ID = "query-index";

/** Source order: file, then line, then column. */
export function bySource(a: Location, b: Location): number {
  return compareText(a.file, b.file) || a.line - b.line || a.column - b.column;
}

/** Whether callers(patterns) names several: "`a()` and `b()`", "3 queries" take a plural verb, "`a()`" alone a singular. */
export function pluralCallers(patterns: AccessPattern[]): boolean {
  const names = new Set(patterns.map((p) => p.functionName).filter(Boolean));
  return names.size === 0 ? patterns.length > 1 : names.size > 1;
}

/** The functions that send `patterns`, named for a message ("`a()` and `b()`", "The query at `x/y.ts:12`", "3 queries"). */
export function callers(patterns: AccessPattern[]): string {
  const names = [...new Set(patterns.map((p) => (p.functionName ? `\`${p.functionName}()\`` : null)).filter((n): n is string => n !== null))];
  if (names.length === 0) return patterns.length > 1 ? `${patterns.length} queries` : `The query at ${siteName(patterns[0].location)}`;
  if (names.length <= 2) return names.join(" and ");
  return `${names.slice(0, 2).join(", ")} and ${names.length - 2} more`;
}

/**
 * Queries a hand-written partial index was built for, whose WHERE compares a column with a constant
 * that the client sends as a parameter: the index serves them only in custom plans. Another index
 * serves them today, so this is NOTED, with the index that keeps working under a generic plan.
 */
export function genericPlanFindings(context: RuleContext, table: Table, entries: Array<{ pattern: AccessPattern; match: PatternMatch }>, takenNames: Set<string>): FindingDraft[] {
  const groups = new Map<IndexMatch["index"], Array<{ pattern: AccessPattern; blocked: IndexMatch }>>();
  for (const { pattern, match } of entries) {
    const blocked = match.parameterBlocked.find((b) => b.index !== match.best?.index);
    if (!blocked) continue;
    groups.set(blocked.index, [...(groups.get(blocked.index) ?? []), { pattern, blocked }]);
  }
  const findings: FindingDraft[] = [];
  for (const [index, group] of groups) {
    const patterns = group.map((g) => g.pattern);
    const columns = [...new Set(group.flatMap((g) => g.blocked.parameterBlockedColumns ?? []))];
    const sites = patterns.map((p) => p.location).sort(bySource);
    // The index the recommender builds for these queries from scratch: the replacement that works under any plan.
    const without: Table = { ...table, indexes: [], primaryKey: null };
    const built = adviseTable(without, patterns, { takenNames, schema: context.schema }).recommendations[0];
    // An index of the table that already has the replacement's keys, with no WHERE, is that replacement.
    const existing = built ? table.indexes.find((i) => i !== index && !i.where && sameLeadingKeys(i, built.keys)) : undefined;
    const replacement = existing ? undefined : built;
    if (replacement) takenNames.add(replacement.name);
    // A unique index enforces a constraint whatever plan reads it: it stays (PostgreSQL docs, 11.6 Unique Indexes).
    const dropOld = index.unique || index.constraint ? ` Keep ${index.name}: it is unique, so it enforces its rule on every write, whichever plan reads it.` : ` Then ${index.name} can be dropped.`;
    const paragraphs = [
      `${genericPlanCaveat(index, columns)}. If it switches, these queries fall back to ${[...new Set(group.map((g) => entries.find((e) => e.pattern === g.pattern)?.match.best?.index.name).filter(Boolean))].join(", ")}.`,
      existing
        ? `${existing.name} (${existing.keys.map((k) => keyLabel(k)).join(", ")}) is the index a generic plan needs: it has no WHERE and serves them under either plan, so no new index is needed${index.unique || index.constraint ? `. Keep ${index.name}: it is unique, so it enforces its rule on every write, whichever plan reads it` : ""}.`
        : replacement
          ? `An index whose WHERE holds only what the SQL itself writes, with ${columns.join(", ")} in the key, serves them under either plan: ${replacement.sql}${dropOld}`
          : `Put ${columns.join(", ")} into the index key instead of its WHERE, so a generic plan can use it.`,
    ];
    findings.push({
      rule: RULE_ID,
      severity: "noted",
      table: qualifiedTableName(table),
      // The fix builds the replacement: the finding names its keys (the existing index is in the message).
      columns: replacement ? replacement.keys.map((k) => k.column ?? k.expression ?? "?") : (existing ?? index).keys.map((k) => keyLabel(k)),
      message: `${callers(patterns)} on \`${table.name}\` may stop using ${index.name}: its WHERE compares ${columns.join(", ")} with a constant, and the client sends ${columns.length > 1 ? "those values" : "that value"} as a parameter, so only custom plans can use it. ${existing ? `${existing.name} serves them under either plan.` : replacement ? `${replacement.name} works under either plan.` : `Put ${columns.join(", ")} into the key instead.`}`,
      location: sites[0],
      related: [index.location, ...sites.slice(1)],
      ...(replacement ? { fix: placeFix(context.statements, sites[0], replacement.sql).fix } : {}),
      details: paragraphs.join("\n\n"),
      key: `generic-plan:${index.name}`,
      title: "Partial index used only in custom plans",
    });
  }
  return findings;
}


/** `index` leads with exactly the columns of `keys`, in order (its later keys may add more). */
function sameLeadingKeys(index: Table["indexes"][number], keys: ReadonlyArray<{ column?: string | null }>): boolean {
  return keys.length > 0 && keys.length <= index.keys.length && keys.every((k, i) => !!k.column && index.keys[i].column === k.column);
}
