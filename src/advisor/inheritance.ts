// Table inheritance (`CREATE TABLE child (...) INHERITS (parent)`, not declarative partitioning): a query
// on the parent without ONLY reads the parent and every descendant, each with its own indexes (an
// Append over one scan per table, expand_inherited_rtentry in optimizer/util/inherit.c). Indexes are
// not inherited, so the query is served only when every one of those tables has an index that serves it.
import type { Schema, Table } from "../core/types.js";

/**
 * Every table that inherits from `table`, children before grandchildren, each once (multiple
 * inheritance can reach a table twice). Empty without a schema or when nothing inherits from it.
 */
export function inheritanceDescendants(schema: Schema | undefined, table: Table): Table[] {
  if (!schema) return [];
  const found: Table[] = [];
  const queue: Table[] = [table];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const t of schema.tables) {
      if (t === table || found.includes(t)) continue;
      if (t.inherits?.some((p) => p.schema === parent.schema && p.table === parent.name)) {
        found.push(t);
        queue.push(t);
      }
    }
  }
  return found;
}
