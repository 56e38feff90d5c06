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
  const children = childrenByParent(schema.tables);
  if (children.size === 0) return [];
  const found: Table[] = [];
  const queue: Table[] = [table];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const t of children.get(parentKey(parent.schema, parent.name)) ?? []) {
      if (t === table || found.includes(t)) continue;
      found.push(t);
      queue.push(t);
    }
  }
  return found;
}

/** The tables that name `table` in their INHERITS list, in the schema's table order (direct children only). */
export function inheritanceChildren(schema: Schema, table: Table): Table[] {
  return childrenByParent(schema.tables).get(parentKey(table.schema, table.name)) ?? [];
}

const parentKey = (schema: string, name: string): string => `${schema}\u0000${name}`;
const childrenMemo = new WeakMap<Table[], { size: number; children: Map<string, Table[]> }>();

/** Each parent's direct children, in the schema's table order; built once per table list rather than scanned per table. */
function childrenByParent(tables: Table[]): Map<string, Table[]> {
  const known = childrenMemo.get(tables);
  if (known && known.size === tables.length) return known.children;
  const children = new Map<string, Table[]>();
  for (const t of tables) {
    // A table that names the same parent twice is still one child of it.
    for (const key of new Set((t.inherits ?? []).map((p) => parentKey(p.schema, p.table)))) {
      const list = children.get(key);
      if (list) list.push(t);
      else children.set(key, [t]);
    }
  }
  childrenMemo.set(tables, { size: tables.length, children });
  return children;
}
