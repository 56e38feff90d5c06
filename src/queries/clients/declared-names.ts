// Client vocabulary -> database names. Prisma Client calls name models and fields (`prisma.deliveryAttempt`,
// `webhookId`), Drizzle calls name the TypeScript variable holding a table and its column keys
// (`users.vehicleId`); the database names they stand for are declared in schema.prisma (`@@map`, `@map`)
// and in `pgTable("users", { vehicleId: uuid("vehicle_id") })`. The recognizers (prisma.ts, drizzle.ts)
// report patterns in the client's vocabulary; this one pure step maps them to tables and columns through
// the `DeclaredNames` interface, built from the declared schemas the readers under src/schema/declared/
// attach to each migration set (`Schema.declared`). Every name is exact: Prisma and Drizzle quote each
// identifier they send, so a resolved pattern carries `relation` as declared and is never folded.
import type { AccessPattern, ColumnPredicate, DeclaredModel, DeclaredSchema, JoinUse, OrderTerm } from "../../core/types.js";
import { exactTable } from "./build.js";

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
  /** A boolean column: an equality on it narrows little. */
  boolean?: boolean;
}

/** A relation field (`posts Post[]`, `author User @relation(...)`; Drizzle `many(posts)`, `one(users, ...)`). */
export interface DeclaredRelationName {
  /** The related model (Prisma model name, Drizzle table variable). */
  target: string;
  /** Columns of the related table by which reading the relation finds its rows (its relation scalar, or the referenced key). */
  targetColumns: string[];
  /** This table's foreign-key columns, when this side holds the key of a to-one relation (`authorId`); else absent. */
  foreignKeyColumns?: string[];
  /** Columns of this table the relation compares (`from.columns`). */
  fromColumns: string[];
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
    /** The pattern is the subquery of a relation filter on the parent at `path` minus its last field (AccessPattern.relationFilterOf). */
    filter?: "some" | "is";
  };
  /**
   * To-one relation filters on this pattern's table (`author: { email }`, `author: { is: {...} }`), by relation
   * field: each narrows the table by its foreign key, an IN on the FK columns.
   */
  relationFilters?: Array<{ field: string; conditional?: boolean; related: NamedPattern[] }>;
}

/**
 * The names the declared schemas give, as the clients use them. Prisma models are found by name
 * (`DeliveryAttempt`) and by client accessor (`deliveryAttempt`); Drizzle tables by the variable holding them,
 * which is also their key in `db.query`. An enum field's values arrive cast to the enum's type (Prisma only).
 * A relation through an implicit many-to-many join table is not offered: its rows are not in the target's table.
 */
export function declaredNames(declared: readonly DeclaredSchema[]): DeclaredNames {
  const byClient: Record<NamingClient, Map<string, DeclaredTableNames>> = { prisma: new Map(), drizzle: new Map() };
  for (const schema of declared) {
    const tables = byClient[schema.orm];
    const enumTypes = new Map(schema.enums.map((e) => [e.name, e.schema === "public" ? e.type : `${e.schema}.${e.type}`]));
    for (const model of schema.models) {
      const names = tableNames(model, schema, enumTypes);
      tables.set(model.name, names);
      // `prisma.deliveryAttempt` is model `DeliveryAttempt`: the accessor lower-cases the first letter.
      if (schema.orm === "prisma") tables.set(`\u0000${model.name.charAt(0).toLowerCase()}${model.name.slice(1)}`, names);
    }
  }
  return {
    tableFor(client: NamingClient, name: string): DeclaredTableNames | undefined {
      const tables = byClient[client];
      return tables.get(name) ?? (client === "prisma" ? tables.get(`\u0000${name}`) : undefined);
    },
  };
}

function tableNames(model: DeclaredModel, schema: DeclaredSchema, enumTypes: Map<string, string>): DeclaredTableNames {
  const columns = new Map<string, DeclaredColumn>();
  for (const field of model.fields) {
    const castTo = schema.orm === "prisma" && field.enumType ? enumTypes.get(field.enumType) : undefined;
    const column: DeclaredColumn = castTo ? { column: field.column, castTo } : { column: field.column };
    if (/^bool/i.test(field.type)) column.boolean = true;
    columns.set(field.field, column);
  }
  const relations = new Map<string, DeclaredRelationName>();
  for (const relation of model.relations) {
    const target = schema.models.find((m) => m.name === relation.target);
    if (!target || target.schema !== relation.to.schema || target.table !== relation.to.table) continue;
    relations.set(relation.field, {
      target: relation.target,
      targetColumns: [...relation.to.columns],
      fromColumns: [...relation.from.columns],
      ...(relation.holdsForeignKey && !relation.list ? { foreignKeyColumns: [...relation.from.columns] } : {}),
    });
  }
  return { schema: model.schema, name: model.table, columns, relations };
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

/** The table a client-vocabulary pattern reads, following its relation path. */
function tableOf(pattern: NamedPattern, declared: DeclaredNames): DeclaredTableNames | undefined {
  const named = pattern.declaredNames;
  if (!named) return undefined;
  let table = declared.tableFor(named.client, pattern.table);
  for (const field of named.path) {
    const via = table?.relations.get(field);
    table = via ? declared.tableFor(named.client, via.target) : undefined;
  }
  return table;
}

/**
 * Whether a relation filter's subquery picks few rows: an equality or IN on a column that is neither a
 * boolean nor an enum (`token`, `id`, `email`; not `status: PENDING`, `deletedAt: null`). Without one,
 * `"fkId" IN (SELECT ...)` matches a large share of the table and narrows it little.
 */
function narrows(pattern: NamedPattern, declared: DeclaredNames): boolean {
  const table = tableOf(pattern, declared);
  if (!table) return false;
  return pattern.predicates.some((p) => {
    if ((p.op !== "eq" && p.op !== "in") || p.column === undefined) return false;
    const c = table.columns.get(p.column);
    return !!c && !c.castTo && !c.boolean && p.value !== "true" && p.value !== "false";
  });
}

function resolveOne<P extends NamedPattern>(pattern: P, named: NonNullable<NamedPattern["declaredNames"]>, declared: DeclaredNames): P | undefined {
  let table = declared.tableFor(named.client, pattern.table);
  let via: DeclaredRelationName | undefined;
  let parent: DeclaredTableNames | undefined;
  for (const field of named.path) {
    parent = table;
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
    if (!c) {
      // A to-one relation filter the reader could not follow (`team: buildTeamWhere(...)`) is still
      // `"teamId" IN (SELECT ...)`: some condition on this table's foreign key, not an equality. A write
      // keeps it (that rows of this table are deleted or updated is what the RI-check rules weigh); a read
      // whose filter is unknown is left out, as the advice for it would be a guess.
      const keys = target.relations.get(p.column)?.foreignKeyColumns;
      if (!keys || pattern.kind === "select") return undefined;
      for (const k of keys) predicates.push({ column: k, op: "other", sentAs: "param", ...(p.conditional ? { conditional: true } : {}) });
      continue;
    }
    const q: ColumnPredicate = { ...p, column: c.column };
    if (c.castTo && q.sentAs === "param") q.castTo = c.castTo;
    predicates.push(q);
  }
  // A to-one relation filter is an IN on this table's foreign key, when its subquery picks few rows; a
  // relation the declarations do not hold, or one whose key is on the other side, does not narrow this table.
  for (const r of pattern.relationFilters ?? []) {
    if (!r.related.some((p) => narrows(p, declared))) continue;
    for (const c of target.relations.get(r.field)?.foreignKeyColumns ?? []) {
      predicates.push({ column: c, op: "in", sentAs: "param", ...(r.conditional ? { conditional: true } : {}) });
    }
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
    joins.push({ table: exactTable(other.schema, other.name).table, columns });
  }
  const out: P = { ...pattern, ...exactTable(target.schema, target.name), predicates, orderBy, joins };
  if (named.filter && via && parent && via.fromColumns.length > 0) {
    const { table: name, relation } = exactTable(parent.schema, parent.name);
    out.relationFilterOf = { table: name, relation, columns: [...via.fromColumns], kind: named.filter };
  }
  // The fields an upsert's `update` sets, as columns: batched advice writes them in SQL.
  const update = pattern.loopUse?.upsertUpdate;
  if (pattern.loopUse && update) out.loopUse = { ...pattern.loopUse, upsertUpdate: { ...update, columns: update.fields.map((f) => column(f)?.column ?? f) } };
  delete (out as NamedPattern).declaredNames;
  delete (out as NamedPattern).relationFilters;
  return out;
}
