// Questions the rules ask of the schema model: table lookup, partition ancestry, key labels,
// creation order, size hints. Pure functions over the model.
import { tableHint, type AuditConfig } from "../core/config.js";
import type { Index, IndexKey, Location, MigrationSet, Schema, Table } from "../core/types.js";
import { findTableExact, keyLabel, tableIndexes } from "../schema/lookup.js";

export { keyLabel, tableIndexes };

/** Rows at which a table counts as large for severity decisions. */
export const LARGE_TABLE_ROWS = 100_000;

export function findTable(schema: Schema, schemaName: string, name: string): Table | undefined {
  // Indexed once per schema: rules ask for every statement, and a linear search is O(tables) each time.
  return findTableExact(schema, schemaName, name);
}

/** The partitioned tables above a partition, nearest first. */
export function partitionAncestors(schema: Schema, table: Table): Table[] {
  const ancestors: Table[] = [];
  const seen = new Set<Table>([table]);
  let current = table;
  while (current.partitionOf) {
    const parent = findTable(schema, current.partitionOf.schema, current.partitionOf.table);
    if (!parent || seen.has(parent)) break;
    ancestors.push(parent);
    seen.add(parent);
    current = parent;
  }
  return ancestors;
}


/** Expected rows from config.tables, if the table has a hint. */
export function expectedRows(config: AuditConfig, table: Table): number | undefined {
  return tableHint(config, table.schema, table.name)?.rows;
}

/** Below this many expected rows a full scan costs little. */
export const SMALL_TABLE_ROWS = 10_000;

/** True when the configuration says the table stays small. */
export function isKnownSmall(config: AuditConfig, table: Table): boolean {
  const rows = expectedRows(config, table);
  return rows !== undefined && rows < SMALL_TABLE_ROWS;
}

export function isLarge(config: AuditConfig, table: Table): boolean {
  return (expectedRows(config, table) ?? 0) >= LARGE_TABLE_ROWS;
}

const fileOrders = new WeakMap<MigrationSet, Map<string, number>>();
/** The highest apply order among a set's files (-1 for none), kept per files list: rules ask for every statement. */
const lastOrders = new WeakMap<MigrationSet["files"], { files: number; order: number }>();

/** Sort key for "created later": the file's apply order, then the line. */
export function creationOrder(set: MigrationSet, location: Location): [number, number] {
  let orders = fileOrders.get(set);
  if (!orders) fileOrders.set(set, (orders = new Map(set.files.map((f) => [f.path, f.order]))));
  return [orders.get(location.file) ?? Number.MAX_SAFE_INTEGER, location.line];
}

export function compareCreation(set: MigrationSet, a: Location, b: Location): number {
  const [fa, la] = creationOrder(set, a);
  const [fb, lb] = creationOrder(set, b);
  return fa - fb || la - lb;
}


/**
 * The newest migration files of each set that may still be on their way to production, so their statements
 * can still be changed. Every file applied before them counts as already run.
 */
export const RECENT_MIGRATION_FILES = 3;

/**
 * True when `file` is a migration file of `set` older than its newest `RECENT_MIGRATION_FILES`: it has already
 * run, and editing it now only breaks the migration tool's record of it (Prisma Migrate's checksums, Flyway's
 * validate). Files of a declared schema (schema.prisma, Drizzle tables) are never applied as written, so never
 * settled.
 */
export function isSettledMigrationFile(set: MigrationSet, file: string): boolean {
  if (set.framework === "prisma-schema" || set.framework === "drizzle-schema") return false;
  let orders = fileOrders.get(set);
  if (!orders) fileOrders.set(set, (orders = new Map(set.files.map((f) => [f.path, f.order]))));
  const order = orders.get(file);
  if (order === undefined) return false;
  let last = lastOrders.get(set.files);
  if (last?.files !== set.files.length) lastOrders.set(set.files, (last = { files: set.files.length, order: set.files.reduce((max, f) => Math.max(max, f.order), -1) }));
  return last.order - order >= RECENT_MIGRATION_FILES;
}
