// Small pieces the ORM and query-builder recognizers share: an empty pattern at a call site, object
// literal keys, literal values as SQL text.
import type { AccessPattern, PatternSource, QueryKind, RelationName } from "../../core/types.js";
import { literalString, peel, type Node } from "../code/ast.js";
import type { PatternBase } from "./client.js";
import { emptyPattern } from "../pattern.js";

export function newPattern(table: string, kind: QueryKind, base: PatternBase, source: PatternSource): AccessPattern {
  return emptyPattern(table, kind, source, base);
}

/**
 * A table these clients name, which they send quoted, so exactly as written: `relation` for the lookup
 * (`findPatternTable`, never folded) and `table` for messages, unquoted and qualified outside `public`.
 * With no schema the name is looked up where the search path finds it.
 */
export function exactTable(schema: string | undefined, name: string): { table: string; relation: RelationName } {
  if (schema === undefined) return { table: name, relation: { name } };
  return { table: schema === "public" ? name : `${schema}.${name}`, relation: { schema, name } };
}

/** The key of an object literal property written plainly (`a: 1`, `"a": 1`, `a`), or undefined. */
export function propertyKey(prop: Node): string | undefined {
  if (prop.type !== "Property" || prop.computed) return undefined;
  const key = prop.key?.name ?? prop.key?.value;
  return typeof key === "string" ? key : undefined;
}

/** The properties of an object literal by key, or undefined when `node` is not one. */
export function objectProps(node: Node | undefined): Array<{ key: string | undefined; value: Node; prop: Node }> | undefined {
  if (!node) return undefined;
  const n = peel(node);
  if (n.type !== "ObjectExpression") return undefined;
  return n.properties.map((prop: Node) => ({ key: propertyKey(prop), value: prop.value ?? prop.argument, prop }));
}

/** The value of property `key` of an object literal. */
export function propertyOf(node: Node | undefined, key: string): Node | undefined {
  return objectProps(node)?.find((p) => p.key === key)?.value;
}

/** A constant written in the code as SQL literal text (`'a'`, `10`, `true`), or undefined. */
export function literalSql(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const n = peel(node);
  const str = literalString(n);
  if (str !== undefined) return `'${str.replace(/'/g, "''")}'`;
  if (n.type === "Literal" && (typeof n.value === "number" || typeof n.value === "boolean")) return String(n.value);
  return undefined;
}

export function isNullLiteral(node: Node | undefined): boolean {
  const n = node ? peel(node) : undefined;
  return n?.type === "Literal" && n.value === null && n.raw === "null";
}

/** The name of an identifier, or of the last property of `a.b.c`. */
export function lastName(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const n = peel(node);
  if (n.type === "Identifier") return n.name;
  if (n.type === "MemberExpression" && !n.computed) return n.property?.name;
  return undefined;
}
