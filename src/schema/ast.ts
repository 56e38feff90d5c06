// Small helpers over libpg-query AST nodes used by the schema replay.

/** The node kind and body of a `{ Kind: {...} }` node. */
export function nodeKind(node: any): [string, any] {
  if (!node || typeof node !== "object") return ["", undefined];
  // The first own key, without the array Object.keys builds: this runs for every statement and element.
  for (const kind in node) if (Object.hasOwn(node, kind)) return [kind, node[kind]];
  return ["", undefined];
}

/** `sval` of a String node. */
export function stringOf(node: any): string | undefined {
  return node?.String?.sval;
}

/** The strings of a list of String nodes (e.g. a constraint's `keys`). */
export function stringList(nodes: any[] | undefined): string[] {
  const out: string[] = [];
  for (const node of nodes ?? []) {
    const value = stringOf(node);
    if (value !== undefined) out.push(value);
  }
  return out;
}

/** The items of a `{ List: { items } }` node, or the node itself when it is already an array. */
export function listItems(node: any): any[] {
  if (Array.isArray(node)) return node;
  return node?.List?.items ?? [];
}

/** Column names an expression refers to (the last part of every column reference). */
export function referencedColumns(node: any, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) referencedColumns(item, into);
    return into;
  }
  if (!node || typeof node !== "object") return into;
  if (node.ColumnRef) {
    const names = stringList(node.ColumnRef.fields);
    if (names.length > 0) into.add(names[names.length - 1]);
    return into;
  }
  for (const key in node) {
    const value = node[key];
    if (value && typeof value === "object" && Object.hasOwn(node, key)) referencedColumns(value, into);
  }
  return into;
}

/** A copy of the expression with every reference to column `from` renamed to `to`. */
export function renameColumnReferences(node: any, from: string, to: string): any {
  if (Array.isArray(node)) return node.map((item) => renameColumnReferences(item, from, to));
  if (!node || typeof node !== "object") return node;
  if (node.ColumnRef) {
    const fields: any[] = node.ColumnRef.fields ?? [];
    const last = fields[fields.length - 1];
    if (stringOf(last) === from) {
      return {
        ColumnRef: { ...node.ColumnRef, fields: [...fields.slice(0, -1), { String: { sval: to } }] },
      };
    }
    return node;
  }
  const copy: Record<string, any> = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] = value && typeof value === "object" ? renameColumnReferences(value, from, to) : value;
  }
  return copy;
}
