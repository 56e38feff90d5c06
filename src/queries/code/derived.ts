// What a loop's list is derived from when the audit can tell without the data: the matches of a regular
// expression in one text, the segments of one path (a split on `/`, a catch-all route's parameter), or the rows
// of a relation included in one row a query returned (and subsets of these). Such lists are small by nature
// (src/rules/n-plus-one-size.ts). Also the Prisma upsert key given as `x ?? <constant>`, which tells new items
// from existing ones before the write.
import type { Location } from "../../core/types.js";
import { peel, type Node } from "./ast.js";

/**
 * A list the code derives from one value: the matches of a regular expression in one text or the segments of
 * one path (`parsed`, a phrase saying what it is and why it is short), or the rows of a relation included in one
 * row a query returned (`partsOf`: that query's call site and the relation as the code names it), or a subset of
 * either (`.filter`, a list pushed while walking it).
 */
export interface DerivedList {
  parsed?: string;
  partsOf?: { at?: Location; relation: string; holder?: string };
}

/** Separators that split a path or a dotted name into its segments. */
const PATH_SEPARATORS = new Set<unknown>(["/", ".", ":"]);

/** A validation schema's methods that return the value they checked (zod: parse, safeParse, parseAsync, safeParseAsync). */
const PARSE_METHODS = new Set(["parse", "safeParse", "parseAsync", "safeParseAsync"]);

/**
 * A catch-all route segment's parameter (`pages/api/[...slug].ts`, `app/[[...slug]]/page.tsx`): the segments of the
 * request URL's path, as many as its depth. `file` is the route file's path; `name` the parameter.
 */
export function catchAllSegments(file: string, name: string): DerivedList | undefined {
  return file.includes(`[...${name}]`) ? { parsed: `the segments of the catch-all route parameter \`[...${name}]\` (the request path), as many as its depth` } : undefined;
}

/** Methods whose result holds at most the elements (or one value per element) of the list they are called on. */
const SUBSET = new Set(["filter", "map", "slice", "sort", "toSorted", "reverse", "toReversed", "values"]);

/**
 * What `node` derives its elements from (DerivedList), or undefined: `text.match(/re/g)`, `[...text.matchAll(re)]`,
 * `Array.from(...)`, `new Set(...)`, `x ?? []`, `.filter(...)` / `.map(...)` of one, a name bound to one
 * (`names`), or `row.relation` where `row` holds one row a query returned (`rowSite`: a single row is read
 * by property, an array is not).
 */
export function derivedList(
  node: Node | null | undefined,
  names: ReadonlyMap<string, DerivedList>,
  rowSite: (n: Node) => { at?: Location } | undefined,
  depth = 0,
): DerivedList | undefined {
  if (!node || depth > 12) return undefined;
  const n = peel(node);
  const next = (m: Node | undefined) => derivedList(m, names, rowSite, depth + 1);
  switch (n.type) {
    case "Identifier":
      return names.get(n.name);
    case "LogicalExpression":
      return n.operator === "??" || n.operator === "||" ? next(n.left) : undefined;
    case "ArrayExpression": {
      const elements = n.elements ?? [];
      return elements.length === 1 && elements[0]?.type === "SpreadElement" ? next(elements[0].argument) : undefined;
    }
    case "NewExpression":
      return n.callee?.type === "Identifier" && n.callee.name === "Set" ? next(n.arguments?.[0]) : undefined;
    case "MemberExpression": {
      if (n.computed || n.optional) return undefined;
      const relation: string | undefined = n.property?.name;
      // `.data` of a schema's safeParse result is the value it checked.
      if (relation === "data" && peel(n.object).type === "Identifier") {
        const checked = names.get(peel(n.object).name as string);
        if (checked?.parsed) return checked;
      }
      if (!relation || relation === "rows" || relation === "data" || relation === "length") return undefined;
      // A query the reader could not read (`where: whereInput`) has no pattern: the name holding its row stands for it.
      const site = rowSite(n.object);
      const object = peel(n.object);
      const holder = object.type === "Identifier" ? (object.name as string) : undefined;
      return site && (site.at || holder) ? { partsOf: { ...(site.at ? { at: site.at } : {}), relation, ...(holder ? { holder } : {}) } } : undefined;
    }
    case "CallExpression": {
      const callee = peel(n.callee);
      if (callee.type !== "MemberExpression" || callee.computed) return undefined;
      const method: string | undefined = callee.property?.name;
      const object = peel(callee.object);
      if (object.type === "Identifier" && object.name === "Array" && method === "from") return next(n.arguments?.[0]);
      if ((method === "match" || method === "matchAll") && isRegex(n.arguments?.[0])) {
        const text = nameOf(object);
        return { parsed: `the matches of a regular expression in one text value (\`${text ?? "text"}.${method}(...)\`): the references written in one text, a handful by nature` };
      }
      // The segments of one path or dotted name: as many as its depth. A split on line breaks or commas (an upload,
      // a pasted list) can be any length, so only these separators count.
      const separator = n.arguments?.[0];
      if (method === "split" && separator?.type === "Literal" && PATH_SEPARATORS.has(separator.value)) {
        const text = nameOf(object);
        return { parsed: `the segments of one path (\`${text ?? "text"}.split(${JSON.stringify(separator.value)})\`), as many as its depth` };
      }
      // A schema's parse (zod's `parse` / `safeParse(...).data`) returns the value it checked.
      if (method && PARSE_METHODS.has(method) && n.arguments?.length === 1) return next(n.arguments[0]);
      return method && SUBSET.has(method) ? next(callee.object) : undefined;
    }
    default:
      return undefined;
  }
}

/** A regular expression literal, `new RegExp(...)`, or a name (a regex held in a constant). */
function isRegex(node: Node | undefined): boolean {
  if (!node) return false;
  const n = peel(node);
  return (n.type === "Literal" && !!n.regex) || (n.type === "NewExpression" && n.callee?.name === "RegExp") || n.type === "Identifier";
}

/** `a.b.c` as written, for identifiers and plain member chains. */
function nameOf(node: Node): string | undefined {
  const n = peel(node);
  if (n.type === "Identifier") return n.name;
  if (n.type === "MemberExpression" && !n.computed) {
    const base = nameOf(n.object);
    return base && n.property?.name ? `${base}.${n.property.name}` : undefined;
  }
  return undefined;
}

/**
 * A Prisma `upsert` whose `where` gives a key as a value or a constant no row holds (`id: item.saved?.id ?? -1`,
 * `id: item.id || ""`): the field and the constant as written. An item without the value is always a new row;
 * the code already knows which items exist.
 */
export function sentinelKey(roots: unknown[]): { field: string; sentinel: string } | undefined {
  const root = roots[0] ? peel(roots[0] as Node) : undefined;
  const arg = root?.type === "CallExpression" ? peel(root.arguments?.[0] ?? {}) : undefined;
  if (arg?.type !== "ObjectExpression") return undefined;
  const where = (arg.properties ?? []).find((p: Node) => !p.computed && (p.key?.name ?? p.key?.value) === "where");
  const object = where ? peel(where.value) : undefined;
  if (object?.type !== "ObjectExpression") return undefined;
  for (const property of object.properties ?? []) {
    const field = property.type === "Property" && !property.computed ? (property.key?.name ?? property.key?.value) : undefined;
    const value = typeof field === "string" ? peel(property.value) : undefined;
    if (value?.type !== "LogicalExpression" || (value.operator !== "??" && value.operator !== "||")) continue;
    const right = peel(value.right);
    const literal =
      right.type === "Literal" && (typeof right.value === "number" || typeof right.value === "string")
        ? JSON.stringify(right.value)
        : right.type === "UnaryExpression" && right.operator === "-" && right.argument?.type === "Literal" && typeof right.argument.value === "number"
          ? `-${right.argument.value}`
          : undefined;
    if (literal !== undefined) return { field: field as string, sentinel: literal };
  }
  return undefined;
}
