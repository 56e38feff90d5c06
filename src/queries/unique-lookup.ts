// Does a query pin one row? Equality on every column of the primary key or of a unique index.
import type { AccessPattern, Table } from "../core/types.js";

/**
 * True when unconditional equality predicates cover every column of the primary key or of a
 * non-partial unique index on plain columns: at most one row comes back.
 */
export function isUniqueLookup(pattern: AccessPattern, table: Table): boolean {
  const pinned = new Set(pattern.predicates.filter((p) => p.op === "eq" && p.column && !p.conditional).map((p) => p.column!));
  if (pinned.size === 0) return false;
  const keys: string[][] = [];
  if (table.primaryKey) keys.push(table.primaryKey.columns);
  for (const index of table.indexes) {
    if (!index.unique || index.where !== null || index.keys.some((k) => k.column === undefined)) continue;
    keys.push(index.keys.map((k) => k.column!));
  }
  return keys.some((columns) => columns.length > 0 && columns.every((c) => pinned.has(c)));
}
