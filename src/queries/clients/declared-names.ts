// Client vocabulary -> database names. Prisma Client calls name models and fields (`prisma.deliveryAttempt`,
// `webhookId`), Drizzle calls name the TypeScript variable holding a table and its column keys
// (`users.vehicleId`); the database names they stand for are declared in schema.prisma (`@@map`, `@map`)
// and in `pgTable("users", { vehicleId: uuid("vehicle_id") })`. The recognizers (prisma.ts, drizzle.ts)
// report patterns in the client's vocabulary; this one pure step maps them to tables and columns through
// the `DeclaredNames` interface, whatever reads the declarations. Every name is exact: Prisma and Drizzle
// quote each identifier they send.
import type { AccessPattern, ColumnPredicate, JoinUse, OrderTerm } from "../../core/types.js";

/** Clients whose calls name tables and columns in their own vocabulary. */
export type NamingClient = "prisma" | "drizzle";

/** One scalar field (Prisma) or column key (Drizzle) and the column it reads. */
export interface DeclaredColumn {
  column: string;
  /**
   * The enum type of the column, when the client sends its values as a cast to it (Prisma writes
   * `CAST($1::text AS "Status")`), so PostgreSQL never sees a constant there.
   */
  castTo?: string;
}

/** A relation field (`posts Post[]`, `author User @relation(...)`; Drizzle `many(posts)`, `one(users, ...)`). */
export interface DeclaredRelationName {
  /** The related model (Prisma model name, Drizzle table variable). */
  target: string;
  /** Columns of the related table by which reading the relation finds its rows (its relation scalar, or the referenced key). */
  targetColumns: string[];
}

/** A model or table declaration: the database table and the names the client uses for its parts. */
export interface DeclaredTableNames {
  schema: string;
  name: string;
  /** Field or column key -> column. */
  columns: Map<string, DeclaredColumn>;
  /** Relation field -> what it reads. */
  relations: Map<string, DeclaredRelationName>;
}

/**
 * Model and table declarations as the clients name them. `tableFor` takes a Prisma model name
 * (`DeliveryAttempt`) or its client accessor (`deliveryAttempt`, the model name with its first letter in
 * lower case, Prisma Client API reference "Model queries"), or a Drizzle table variable or
 * relational-query key; undefined when nothing declares it.
 */
export interface DeclaredNames {
  tableFor(client: NamingClient, name: string): DeclaredTableNames | undefined;
}

/** Nothing declared: every client-vocabulary pattern is left out. */
export const NO_DECLARED_NAMES: DeclaredNames = { tableFor: () => undefined };

/** A pattern a recognizer read in the client's vocabulary, not yet resolved. */
export interface NamedPattern extends AccessPattern {
  /**
   * Present when `table`, predicate and order columns and join tables are client names: `table` is the
   * model (or table variable) the call starts from, `path` the relation fields followed from it to the
   * table this pattern reads (empty for the model itself), and the columns are that table's field names.
   */
  declaredNames?: {
    client: NamingClient;
    path: string[];
    /**
     * How a relation read finds its rows by the relation's columns: `in`, one query for every parent's key
     * (Prisma's default query strategy); `eq`, once per parent row (a join, a lateral subquery, `EXISTS`).
     */
    via?: "in" | "eq";
  };
}

/**
 * The exact table name a resolved pattern carries. While the table lookup folds unquoted names, a name
 * PostgreSQL would fold is written quoted so it is found as declared.
 */
export function exactTableName(schema: string, name: string): string {
  const part = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return schema === "public" ? part(name) : `${part(schema)}.${part(name)}`;
}

/**
 * Maps every client-vocabulary pattern to database names; other patterns pass unchanged. A pattern whose
 * model, relation or field the declarations do not hold is left out rather than guessed.
 */
export function resolveDeclaredNames<P extends AccessPattern>(patterns: P[], declared: DeclaredNames): P[] {
  const out: P[] = [];
  for (const pattern of patterns) {
    const named = (pattern as NamedPattern).declaredNames;
    if (!named) {
      out.push(pattern);
      continue;
    }
    const resolved = resolveOne(pattern as P & NamedPattern, named, declared);
    if (resolved) out.push(resolved);
  }
  return out;
}

function resolveOne<P extends NamedPattern>(pattern: P, named: NonNullable<NamedPattern["declaredNames"]>, declared: DeclaredNames): P | undefined {
  let table = declared.tableFor(named.client, pattern.table);
  let via: DeclaredRelationName | undefined;
  for (const field of named.path) {
    via = table?.relations.get(field);
    table = via ? declared.tableFor(named.client, via.target) : undefined;
  }
  if (!table) return undefined;
  const target = table;
  const column = (key: string | undefined) => (key === undefined ? undefined : target.columns.get(key));
  const predicates: ColumnPredicate[] = [];
  if (via && named.via) for (const c of via.targetColumns) predicates.push({ column: c, op: named.via, sentAs: "param" });
  for (const p of pattern.predicates) {
    if (p.column === undefined) continue;
    const c = column(p.column);
    if (!c) return undefined;
    const q: ColumnPredicate = { ...p, column: c.column };
    if (c.castTo && q.sentAs === "param") q.castTo = c.castTo;
    predicates.push(q);
  }
  const orderBy: OrderTerm[] = [];
  for (const term of pattern.orderBy) {
    const c = column(term.column);
    if (!c) return undefined;
    orderBy.push({ ...term, column: c.column });
  }
  const joins: JoinUse[] = [];
  for (const join of pattern.joins) {
    const other = declared.tableFor(named.client, join.table);
    if (!other) continue;
    const columns = join.columns.map((k) => other.columns.get(k)?.column).filter((c): c is string => c !== undefined);
    joins.push({ table: exactTableName(other.schema, other.name), columns });
  }
  const out: P = { ...pattern, table: exactTableName(target.schema, target.name), predicates, orderBy, joins };
  delete (out as NamedPattern).declaredNames;
  return out;
}
