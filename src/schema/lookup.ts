// Finding tables and describing indexes in a replayed schema.
import type { AccessPattern, Index, IndexKey, RelationName, Schema, Table } from "../core/types.js";

/**
 * Splits `t`, `schema.t`, `"Mixed Case"`, `"schema"."t"` into schema and name. Unquoted parts
 * fold to lower case, as the server folds them; quoted parts keep their case.
 */
export function parseQualifiedName(text: string): { schema: string | null; name: string } {
  const parts: string[] = [];
  let i = 0;
  const input = text.trim();
  while (i < input.length) {
    if (input[i] === '"') {
      let part = "";
      i++;
      while (i < input.length) {
        if (input[i] === '"' && input[i + 1] === '"') {
          part += '"';
          i += 2;
        } else if (input[i] === '"') {
          i++;
          break;
        } else part += input[i++];
      }
      parts.push(part);
    } else {
      let end = input.indexOf(".", i);
      if (end === -1) end = input.length;
      parts.push(input.slice(i, end).trim().toLowerCase());
      i = end;
    }
    while (i < input.length && input[i] === " ") i++;
    if (input[i] === ".") i++;
  }
  if (parts.length >= 2) return { schema: parts[parts.length - 2], name: parts[parts.length - 1] };
  return { schema: null, name: parts[0] ?? "" };
}

/**
 * The table an access pattern reads or writes, matched exactly: the one lookup every query extractor's
 * patterns go through (raw SQL in code, supabase-js, `.sql` files, PL/pgSQL and SQL function bodies,
 * views, cron jobs, and any client added later).
 *
 * The pattern's `relation` is already the name PostgreSQL resolves, so nothing is parsed or folded here:
 * - SQL: the parser folds an unquoted name to lower case and keeps a quoted one as written
 *   (PostgreSQL docs, "Identifiers and Key Words"); `FROM "DeliveryAttempt"` arrives as `DeliveryAttempt`,
 *   `FROM DeliveryAttempt` as `deliveryattempt`.
 * - Clients that send identifiers quoted: supabase-js/PostgREST (`.from("Visit")`, `.schema("app")`),
 *   Prisma, Drizzle and Kysely all write each name in double quotes, so the name in the code is exact.
 *   Their extractors put it in `relation` unchanged.
 * Folding it a second time (as `findTable` does with SQL text) would lose every quoted mixed-case table.
 *
 * An unqualified name looks in `defaultSchema` (the search path's first schema, `public`). A pattern
 * without `relation` (one built by hand) is read as the exact `name` or `schema.name` its `table` spells.
 * Returns undefined when the schema has no such table (a view, a table of another migration set).
 */
export function findPatternTable(
  schema: Schema,
  pattern: Pick<AccessPattern, "table" | "relation">,
  defaultSchema = "public",
): Table | undefined {
  const relation = patternRelation(pattern);
  return findTableExact(schema, relation.schema ?? defaultSchema, relation.name);
}

/** The exact name of a pattern's table: its `relation`, or its `table` split at the first dot with no folding. */
export function patternRelation(pattern: Pick<AccessPattern, "table" | "relation">): RelationName {
  if (pattern.relation) return pattern.relation;
  const dot = pattern.table.indexOf(".");
  return dot < 0 ? { name: pattern.table } : { schema: pattern.table.slice(0, dot), name: pattern.table.slice(dot + 1) };
}

/**
 * The table that SQL text names (`t`, `schema.t`, or quoted forms), folding unquoted parts as the server
 * does; unqualified names look in `defaultSchema`. For names read from SQL text only: an access pattern's
 * table is already exact and goes through `findPatternTable`.
 */
export function findTable(schema: Schema, name: string, defaultSchema = "public"): Table | undefined {
  const wanted = parseQualifiedName(name);
  const schemaName = wanted.schema ?? defaultSchema;
  return tablesByName(schema.tables).get(schemaName)?.get(wanted.name);
}

/** The table with exactly this schema and name (no parsing or case folding), as a linear search would find it. */
export function findTableExact(schema: Schema, schemaName: string, name: string): Table | undefined {
  return tablesByName(schema.tables).get(schemaName)?.get(name);
}

// Rules and extractors look tables up once per query pattern: index the list once per schema.
// Schemas are not changed once replayed; a list that changed length since (one still being built) is indexed again.
// Keyed by schema, then name: a lookup joins no strings (a new string to hash on every call).
const byNameCache = new WeakMap<Table[], { size: number; map: Map<string, Map<string, Table>> }>();

function tablesByName(tables: Table[]): Map<string, Map<string, Table>> {
  const cached = byNameCache.get(tables);
  if (cached && cached.size === tables.length) return cached.map;
  const map = new Map<string, Map<string, Table>>();
  // The first table of a name wins, as a linear search would find it.
  for (const t of tables) {
    let names = map.get(t.schema);
    if (!names) map.set(t.schema, (names = new Map()));
    if (!names.has(t.name)) names.set(t.name, t);
  }
  byNameCache.set(tables, { size: tables.length, map });
  return map;
}

/** `schema.table`, the form findings use. */
export function qualifiedTableName(table: Pick<Table, "schema" | "name">): string {
  return `${table.schema}.${table.name}`;
}

/** The index's key columns in order: column names, and expressions as their SQL text. INCLUDE columns are not keys. */
export function indexColumns(index: Index): string[] {
  return index.keys.map((key) => key.column ?? key.expression ?? "");
}

/** The index called `name` on any table of the schema (index names are unique per schema). */
export function findIndex(
  schema: Schema,
  name: string,
  defaultSchema = "public",
): { table: Table; index: Index } | undefined {
  const wanted = parseQualifiedName(name);
  const schemaName = wanted.schema ?? defaultSchema;
  for (const table of schema.tables) {
    if (table.schema !== schemaName) continue;
    const index = table.indexes.find((i) => i.name === wanted.name);
    if (index) return { table, index };
  }
  return undefined;
}

/** What an index key is called in messages and `columns`: the column, or the expression's text. */
export function keyLabel(key: IndexKey): string {
  return key.column ?? key.expression ?? "?";
}

/** Every index of the table, with the primary key's added when a hand-built model lists it only as `primaryKey`. */
export function tableIndexes(table: Table): Index[] {
  const pk = table.primaryKey;
  if (!pk || table.indexes.some((i) => i.constraint === "primary" || i.name === pk.name)) return table.indexes;
  const pkIndex: Index = {
    name: pk.name,
    keys: pk.columns.map((column) => ({ column, descending: false, nullsFirst: false })),
    include: [],
    unique: true,
    method: "btree",
    where: null,
    whereAst: null,
    constraint: "primary",
    location: table.location,
  };
  return [pkIndex, ...table.indexes];
}
