// The FK coverage table's verdict per foreign key, decided by the fk-index rule's own test, so the
// table and the findings cannot disagree.
import type { Finding, ForeignKey, Index, Schema, Table } from "../core/types.js";
import { whyIndexCannotServe } from "../advisor/ri-check.js";
import { partitionAncestors, tableIndexes } from "../rules/model.js";

export interface ForeignKeyCoverage {
  table: Table;
  fk: ForeignKey;
  /** The index that serves the FK's lookups, when one does. */
  index: Index | null;
  /** The fk-index finding about this key, when the rule reported one. */
  finding: Finding | null;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/** The index that serves the FK's check by the fk-index rule's own test; an exact-width index is named first. */
function servingIndex(schema: Schema, table: Table, fk: ForeignKey): Index | null {
  const candidates = [table, ...partitionAncestors(schema, table)].flatMap((t) => tableIndexes(t));
  const serving = candidates.filter((index) => whyIndexCannotServe(index, fk.columns) === null);
  return serving.find((index) => index.keys.length === fk.columns.length) ?? serving[0] ?? null;
}

export function foreignKeyCoverage(schema: Schema, table: Table, fk: ForeignKey, findings: readonly Finding[]): ForeignKeyCoverage {
  const qualified = `${table.schema}.${table.name}`;
  const finding =
    findings.find((f) => f.rule === "fk-index" && f.table === qualified && f.key === fk.name) ??
    findings.find((f) => f.rule === "fk-index" && f.table === qualified && sameColumns(f.columns, fk.columns)) ??
    // An fk-index finding folded into the query-index finding that recommends the same index.
    findings.find((f) => f.table === qualified && f.merged?.some((m) => m.rule === "fk-index" && sameColumns(m.columns, fk.columns))) ??
    null;
  return { table, fk, index: finding ? null : servingIndex(schema, table, fk), finding };
}

/** How the coverage table names the index: constraint-backed indexes by their constraint. */
export function coverageNote(index: Index): string {
  if (index.constraint === "primary") return "Via PRIMARY KEY";
  if (index.constraint === "unique") return "Via UNIQUE constraint";
  return `Via ${index.name}`;
}
