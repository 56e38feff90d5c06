// Plain data shared by every stage of the pipeline. Nothing here does I/O.

export type Severity = "important" | "routine" | "noted";
export const SEVERITIES: readonly Severity[] = ["important", "routine", "noted"];

/** A place in the audited tree: path relative to the audited root, 1-based line and column. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

// ---------------------------------------------------------------- migrations

/** Frameworks whose migrations are SQL files. */
export type MigrationFramework =
  | "supabase"
  | "prisma"
  | "drizzle"
  | "flyway"
  | "golang-migrate"
  | "dbmate"
  | "sqitch"
  | "schema-dump"
  | "plain";

/**
 * A set's framework: one that keeps SQL migrations, or a declared schema that stands for the database when
 * there are none (`prisma db push`, `drizzle-kit push`): `prisma-schema` (schema.prisma) or `drizzle-schema`
 * (pgTable declarations). A declared set's files are the schema files; its statements are the DDL the ORM's
 * migration tool would generate, located at the declaring lines.
 */
export type Framework = MigrationFramework | "prisma-schema" | "drizzle-schema";

/** One migration file, in the order the framework applies it. */
/** What the code says beside its queries, about libraries that write tables on their own. */
export interface CodeFacts {
  /**
   * Where an Auth.js / NextAuth configuration sets `session: { strategy: "jwt" }`: sessions live in a cookie,
   * and the library's database adapter never writes its sessions table.
   */
  jwtSessions?: Location;
}

export interface MigrationFile {
  path: string;
  /** Position in apply order, 0-based. */
  order: number;
  /** True when the framework wraps each file in a transaction of its own. */
  runsInTransaction: boolean;
  /**
   * How the tool sends the file when it does not wrap it in BEGIN … COMMIT, where the framework alone does not
   * say. "script": the whole file as one query string, which PostgreSQL runs as one implicit transaction when
   * it holds several statements (Prisma Migrate before 7.4). "split": one statement at a time, each committed
   * on its own, unless the tool's splitter cannot read one of them, when the file goes as one script after all
   * (Prisma Migrate 7.4 and later).
   */
  sends?: "script" | "split";
}

/** A set of migrations that together build one database (a monorepo may hold several). */
export interface MigrationSet {
  /** Stable name, e.g. the folder that holds the migrations ("supabase/migrations"). */
  name: string;
  framework: Framework;
  root: string;
  files: MigrationFile[];
  /**
   * Files the framework keeps with these migrations but does not apply forward: down, revert, verify and
   * undo scripts, journals and plans, files it skips. They are never read as queries.
   */
  companions?: string[];
}

/** A suppression comment: `-- index-audit-ignore <rule>: <reason>`. */
export interface Suppression {
  rule: string;
  reason: string;
  location: Location;
}

/** One parsed top-level SQL statement of a migration (or of a DO block inside one). */
export interface Statement {
  /** The statement node as libpg-query returns it inside RawStmt.stmt, e.g. `{ CreateStmt: {...} }`. */
  ast: Record<string, any>;
  /** The statement's own SQL text. */
  sql: string;
  location: Location;
  /** Index of the migration file in apply order. */
  fileOrder: number;
  /** Inside an explicit BEGIN ... COMMIT written in the file. */
  inExplicitTransaction: boolean;
  /** The file as a whole runs in a transaction (framework behaviour or explicit block). */
  inTransaction: boolean;
  /** Came out of a `DO $$ ... $$` block body. */
  fromDoBlock?: boolean;
  /** Suppressions written on the statement's first line or the line before it. */
  suppressions: Suppression[];
}

/**
 * A problem met while reading input; becomes a `parse-error` finding, or a `migration-listing` finding
 * when `kind` is `listing` (a migration list out of step with its folder: the input itself is readable).
 */
export interface InputProblem {
  message: string;
  location: Location;
  /**
   * What kind of problem, when it is not input that could not be read: `refused`, a statement PostgreSQL
   * itself would refuse, known without a server (an index on a column the table lacks), reported under
   * `migration-fails`; `listing`, a migration list (Drizzle journal, sqitch.plan) out of step with its
   * folder, reported under `migration-listing`. Neither is a `parse-error`.
   */
  kind?: "refused" | "listing";
  /** The input is another SQL dialect from this line on (a `-- MySQL` section, backtick identifiers): not a PostgreSQL syntax error. */
  notPostgres?: { line: number; dialect: string; sign: string };
}

// ---------------------------------------------------------------- schema model

export interface Column {
  name: string;
  type: string;
  nullable: boolean;
  location: Location;
}

export interface IndexKey {
  /** The column name when the key is a plain column. */
  column?: string;
  /** The expression's SQL text when the key is an expression, e.g. `lower(email)`. */
  expression?: string;
  /** Expression key's AST (libpg-query node), for matching. */
  expressionAst?: Record<string, any>;
  opclass?: string;
  collation?: string;
  descending: boolean;
  /** Explicit NULLS FIRST/LAST, or the default for the direction (FIRST when descending). */
  nullsFirst: boolean;
}

export type IndexConstraintKind = "primary" | "unique" | "exclusion";

export interface Index {
  name: string;
  keys: IndexKey[];
  include: string[];
  unique: boolean;
  method: string;
  /** The partial-index predicate as SQL text, or null. */
  where: string | null;
  /** The predicate's AST (libpg-query node), for implication tests. */
  whereAst: Record<string, any> | null;
  /** Set when the index backs a PRIMARY KEY, UNIQUE or EXCLUDE constraint. */
  constraint: IndexConstraintKind | null;
  nullsNotDistinct?: boolean;
  location: Location;
}

export type FkAction = "no action" | "restrict" | "cascade" | "set null" | "set default";

export interface ForeignKey {
  name: string;
  columns: string[];
  references: { schema: string; table: string; columns: string[] };
  onDelete: FkAction;
  onUpdate: FkAction;
  notValid: boolean;
  /** False for a PostgreSQL 18 `NOT ENFORCED` foreign key, which runs no check at all; absent or true otherwise. */
  enforced?: boolean;
  /**
   * True for a relation the application enforces and the database does not (Prisma `relationMode = "prisma"`):
   * there is no constraint, so PostgreSQL runs no check, but the application reads and deletes by these columns.
   */
  applicationOnly?: boolean;
  location: Location;
}

export interface Table {
  schema: string;
  name: string;
  columns: Column[];
  primaryKey: { name: string; columns: string[] } | null;
  indexes: Index[];
  foreignKeys: ForeignKey[];
  /** Other named constraints (CHECK, NOT NULL kept by name, ...), so later drops and renames resolve. */
  checkConstraints: string[];
  partitionBy: string | null;
  partitionOf: { schema: string; table: string } | null;
  /** Parents named in `INHERITS (...)` (table inheritance, not partitioning), in declaration order; absent when none. */
  inherits?: Array<{ schema: string; table: string }>;
  /** File order in which the table was (last) created. */
  createdInFileOrder: number;
  /** A materialized view: it holds rows and takes indexes, but no constraints (no primary key). */
  materializedView?: boolean;
  location: Location;
}

/**
 * A view (CREATE VIEW). A materialized view is a Table in the model instead: it holds rows and
 * takes indexes. Queries on a view reach `base` when the view reads one table through plain column
 * references (renamed or not) and a WHERE at most; otherwise `base` is null and `unresolved` says why.
 */
export interface View {
  schema: string;
  name: string;
  /** Output columns in order; `type` as format_type writes it (`unknown` when the model cannot tell); `baseColumn` is the base table's column it shows, null for a computed one. */
  columns: Array<{ name: string; type: string; baseColumn: string | null }>;
  base: {
    schema: string;
    table: string;
    /** The view's WHERE in the base table's column names, as SQL text, or null. */
    where: string | null;
    whereAst: Record<string, any> | null;
  } | null;
  /** Why queries on the view cannot be matched to a table (`aggregates`, `DISTINCT`, `a join of 2 tables`). */
  unresolved?: string;
  /** WITH (security_invoker = true): the querying role's row-level security applies. */
  securityInvoker: boolean;
  location: Location;
}

export interface Schema {
  tables: Table[];
  /** Views the migrations leave, in creation order. Absent where a schema is built by other means. */
  views?: View[];
  /** The ORM schemas declared beside the migrations (schema.prisma, Drizzle pgTable), when the repository has any. */
  declared?: DeclaredSchema[];
}

// ---------------------------------------------------------------- declared schemas (ORM)

export type DeclaredOrm = "prisma" | "drizzle";

/** One scalar field of a model: the name client code uses and the column it reads. Names are exact. */
export interface DeclaredField {
  /** Prisma field name, or the Drizzle TypeScript key (`vehicleId`). */
  field: string;
  /** Database column name (`@map`, or Drizzle's first argument `uuid('vehicle_id')`). */
  column: string;
  /** The column's PostgreSQL type as the migration tool writes it (`text`, `timestamp(3)`, `"Status"`). */
  type: string;
  nullable: boolean;
  /** Prisma scalar list (`String[]`). */
  list?: boolean;
  /** Prisma enum name when the field's type is an enum. */
  enumType?: string;
  location: Location;
}

/**
 * One relation field (Prisma) or relation (Drizzle `relations()`, or a `.references()` column): the tables it joins
 * and the columns on each side, `from.columns[i] = to.columns[i]`. Reading the relation reads `to.table` by
 * `to.columns`.
 */
export interface DeclaredRelation {
  /** The relation field's name in client code (`author`, `posts`), or the FK column's key for a bare `.references()`. */
  field: string;
  /** The related model's name (Prisma model, Drizzle table variable). */
  target: string;
  /** Columns of this model's table. */
  from: { columns: string[]; fields: string[] };
  /** The related table and its columns. */
  to: { schema: string; table: string; columns: string[]; fields: string[] };
  /** True on the side that holds the foreign key (`@relation(fields: [...])`, Drizzle `one(..., { fields })`). */
  holdsForeignKey: boolean;
  /** A list relation (`posts Post[]`, Drizzle `many()`). */
  list: boolean;
  /** Prisma's relation name, for models related more than once. */
  name?: string;
  onDelete?: FkAction;
  onUpdate?: FkAction;
  /** No database constraint backs it (Prisma relationMode = "prisma"). */
  applicationOnly: boolean;
  location: Location;
}

/** A model (Prisma) or table declaration (Drizzle) and the table it maps to. */
export interface DeclaredModel {
  /** Prisma model name (`User`), or the Drizzle variable holding the table (`users`). */
  name: string;
  schema: string;
  table: string;
  fields: DeclaredField[];
  relations: DeclaredRelation[];
  /** Indexes, unique and primary keys the declaration makes, under the names the ORM's tool gives them. */
  indexes: DeclaredIndex[];
  /**
   * The line a new index declaration goes on (the text goes before what is there now): the model's closing brace
   * in Prisma; in Drizzle the line after the last entry of the table's extra config, or the table call's last line.
   */
  insertLine?: number;
  /** Drizzle: the table has an extra-config callback, as an `array` (`(t) => [...]`) or an `object` (`(t) => ({...})`). */
  extraConfig?: "array" | "object" | null;
  /** Drizzle: the extra-config callback's parameter name (`table` in `(table) => [...]`); new entries use it. */
  configParam?: string;
  /**
   * Drizzle: the extra config's first entry shares a line with its opening bracket (`(t) => [index("a").on(t.x)]`),
   * so a new entry goes inside that line, at `column` (0-based, just after the bracket), not on a line of its own.
   */
  inlineConfig?: { line: number; text: string; column: number };
  /**
   * Drizzle: a table with no extra config whose columns object closes at `column` (0-based, just after its `}`)
   * of `line`: a new entry goes there as a new callback, `}, (t) => [entry]);`.
   */
  configSlot?: { line: number; text: string; column: number };
  /** Drizzle: names the model's file imports from drizzle-orm and drizzle-orm/pg-core (`index`, `sql`). */
  imports?: string[];
  location: Location;
}

/** An index or key as declared: where it is, so that a fix can change that line. */
export interface DeclaredIndex {
  /** The database name (`Post_authorId_idx`, `posts_author_idx`). */
  name: string;
  columns: string[];
  kind: "index" | "unique" | "primary";
  /** True when declared on the field's own line (`@unique`, `.unique()`), not as a block or table-level entry. */
  onField: boolean;
  location: Location;
}

export interface DeclaredEnum {
  name: string;
  schema: string;
  /** Database type name (`@@map`). */
  type: string;
  values: string[];
  location: Location;
}

/** What an ORM schema declares, as plain data: client extractors map model and field names to tables and columns here. */
export interface DeclaredSchema {
  orm: DeclaredOrm;
  /** The schema files read, relative to the audited root. */
  files: string[];
  models: DeclaredModel[];
  enums: DeclaredEnum[];
  /** Prisma `datasource { relationMode }`: "prisma" means no foreign keys in the database. */
  relationMode?: "foreignKeys" | "prisma";
  /** Prisma datasource provider (`postgresql`). */
  provider?: string;
}

// ---------------------------------------------------------------- access patterns (queries)

export type QueryKind = "select" | "update" | "delete" | "upsert" | "insert";

/** How a value reaches the server: bound as a parameter, or written into the SQL text. */
export type SentAs = "param" | "literal";

export type PredicateOp =
  | "eq" // column = value
  | "in" // column IN (...), = ANY(...)
  | "range" // <, <=, >, >=, BETWEEN
  | "is-null"
  | "is-not-null"
  | "like-prefix" // LIKE 'abc%'
  | "like" // any other LIKE / ILIKE / regex
  | "neq" // <>
  | "bool" // column, NOT column, column = true/false
  // col IS TRUE / IS FALSE / IS NOT TRUE / IS NOT FALSE; value "true" | "false" | "not true" | "not false".
  // Not the same test as `col`: it is false (not NULL) for a NULL, and predtest.c proves a partial
  // index's WHERE from it only when the WHERE is that same test.
  | "bool-test"
  | "contains" // @>, <@, && (array / jsonb)
  // pg_trgm similarity: col % v, col %> v (v <% col, word similarity), col %>> v (v <<% col, strict word
  // similarity); `operator` keeps the operator with the column on its left.
  | "similar"
  | "other";

export interface ColumnPredicate {
  /** Plain column name, or absent when the left side is an expression. */
  column?: string;
  /** Expression's SQL text, e.g. `lower(email)`. */
  expression?: string;
  op: PredicateOp;
  /** For eq/range/bool with a constant: the constant as SQL literal text (`'accepted'`, `true`, `10`). */
  value?: string;
  /** For range: the operator. For similar: the pg_trgm operator with the column on its left (`%`, `%>`, `%>>`). */
  operator?: "<" | "<=" | ">" | ">=" | "%" | "%>" | "%>>";
  /** How the client sends the compared value. */
  sentAs: SentAs;
  /**
   * For eq on an expression (`id::text = ...`) compared with something other than a constant: that value's
   * SQL text as written (`$1`, `storage.filename(p_name)`), for advice that rewrites the comparison.
   */
  compared?: string;
  /** For ILIKE: case-insensitive. */
  caseInsensitive?: boolean;
  /**
   * For range: the value is the clock (`now()`, `CURRENT_TIMESTAMP`: "now") or the clock shifted by constants
   * (`now() - interval '1 day'`: "shifted"). No partial index predicate can be proved from it, but the planner
   * folds it to estimate the rows it selects (estimate_expression_value in selfuncs.c).
   */
  clock?: "now" | "shifted";
  /** Applied on some code paths only (added inside an `if`): the query also runs without it. */
  conditional?: boolean;
  /**
   * The client sends the bound value inside a cast to this type (Prisma sends an enum value as
   * `CAST($1::text AS "Status")`). PostgreSQL does not fold that to a constant even in a custom plan, so
   * a partial index whose WHERE names a constant of this column never serves the query.
   */
  castTo?: string;
}

export interface OrderTerm {
  column?: string;
  expression?: string;
  /**
   * `ORDER BY embedding <=> $1`: a distance to a value the query sends (pgvector `<->`, `<#>`, `<=>`, `<+>`;
   * pg_trgm `<->`). Only an index whose operator class has that ordering operator (HNSW, IVFFlat, GiST)
   * returns rows in this order; `column`/`expression` are then absent, so no btree reading takes it for a column.
   */
  distance?: { column?: string; expression?: string; operator: string };
  descending: boolean;
  /** null when the query does not say (PostgreSQL default for the direction). */
  nullsFirst: boolean | null;
}

export interface JoinUse {
  /** The joined table, as named in the code. */
  table: string;
  /** Columns of `table` the join compares (its side of the join). */
  columns: string[];
}

export type PatternSource = "supabase-js" | "sql-in-code" | "prisma" | "drizzle" | "kysely" | "sql-file" | "plpgsql" | "view" | "cron";

/** How a query issued inside a loop depends on the loop. */
export interface LoopUse {
  /** Some value it sends changes from one iteration to the next (a loop variable, a name set in the loop, a call). */
  varies: boolean;
  /** It sends the loop's item as a set (`.in(col, chunk)`, `= ANY($1)`, `.insert(batch)`): the loop is batching. */
  batched: boolean;
  /** An UPDATE whose written values change per iteration. */
  perRowValues: boolean;
  /** It runs under an `if`/`switch`/`?:` that tests the loop's item. */
  branchPerItem: boolean;
  /**
   * Fields the UPDATE writes as the row's own value shifted by an amount the loop does not change
   * (`stepOrder: s.stepOrder - 1`, Prisma `{ decrement: 1 }`): the same write for every row, not a
   * per-row value. As the code names them.
   */
  shifts?: string[];
  /** Every shift adds (`+`, `increment`): for advice that names the direction. */
  shiftUp?: boolean;
  /** Fields the UPDATE writes, as the code names them, when it writes an object literal. */
  writes?: string[];
  /**
   * Fields of `writes` whose value may be undefined on some items (an optional property, `x ?? undefined`,
   * a conditional spread), which Prisma Client leaves unchanged rather than setting to NULL.
   */
  omittable?: string[];
  /** The call returns the whole written row (Prisma `update`), not a count: with resultUsed, the loop uses the row. */
  returnsRow?: boolean;
  /**
   * It pages through a table with a value the loop carries (Prisma `cursor`/`skip`, a range on the key,
   * `.offset()`, `.range()`): keyset or offset pagination, one set-based query per page.
   */
  pages?: boolean;
  /**
   * Columns compared with a value that changes per iteration (`folderId: folder.id`, `.eq("id", id)`),
   * as the code names them; absent when the walker could not tell (SQL text).
   */
  keyColumns?: string[];
  /**
   * The loop is not a walk over a collection (`while`, `do...while`, `for (;;)`): each iteration's key
   * comes from the previous one (a retry until a slug is free, a walk up a parent chain).
   */
  chained?: boolean;
  /**
   * Earlier in the same iteration the loop awaits a call that sends no query (an email, an HTTP request),
   * or the loop walks a list filled with the results of such calls, one per item.
   */
  afterExternal?: boolean;
  /**
   * The compared expressions behind keyColumns, as the code writes them (`inbox.inboxId` for Drizzle,
   * `folderId` for Prisma), for advice in the client's own terms.
   */
  keyTerms?: string[];
  /**
   * Every enclosing loop walks a collection whose length the code fixes (a literal array, a constant,
   * an enum, a registry filled by the code): how a message names it. A fixed number of round trips.
   */
  fixedList?: string;
  /** A Prisma create whose `data` also creates related rows (`fields: { createMany }`), which `createMany` cannot take. */
  nestedWrites?: boolean;
  /**
   * The same iteration also awaits a call that sends no query (a file fetched from storage, a PDF signed,
   * an email sent), before or after this query: its name as written (`getFile()`). That per-item work
   * stays whatever happens to the query.
   */
  externalWork?: string;
  /** A count or aggregate per item (Prisma `count`/`aggregate`/`groupBy`): batched, it needs a GROUP BY on the key. */
  aggregate?: boolean;
  /**
   * The loop walks a list set in configuration (`env.DEFAULT_ORG_IDS`, `process.env.X.split(",")`), or the
   * rows of a query whose `IN` list is one: how a message names it. Its length is set per deployment.
   */
  configList?: string;
  /**
   * The loop walks the matches of a regular expression in one text value (`text.match(/.../g)`,
   * `[...text.matchAll(re)]`) or the segments of one path (`path.split("/")`, a catch-all route's parameter),
   * or a subset of them: a phrase naming it and why it is short.
   */
  parsedList?: string;
  /**
   * The loop walks (a subset, filtered or pushed in code, of) a relation included in the one row a query
   * returned (`envelope.fields.filter(...)` after `findFirst({ include: { fields: true } })`): that query's
   * call site and the relation as the code names it.
   */
  partsOf?: {
    /** Absent when the reader could not read the query (a `where` held in a variable). */
    at?: Location;
    relation: string;
    /** The name holding the row (`envelope`), which names its table when the query could not be read. */
    holder?: string;
  };
  /** The loop walks the rows a query returned: that query's call site (its patterns share the location). */
  rowsFrom?: Location;
  /**
   * It runs under an `if` that tests the result of a query sent earlier in the same iteration: that query's
   * line, and whether the branch is the one where it found nothing (`if (result.count === 0)`, `if (!row)`).
   */
  afterRead?: { line: number; missing: boolean };
  /** Its result is bound to a name or returned: a batched form must return the rows too. */
  resultUsed?: boolean;
  /**
   * An INSERT whose written object sets a field from a row created (INSERT or upsert) earlier in the same
   * function, outside this loop (`modelId: createdModel.id`): that create's call site and the field as written.
   */
  parentCreated?: { at: Location; field: string };
  /**
   * A Prisma `upsert` whose `where` gives a key as a value or a constant no row holds (`id: item.saved?.id ?? -1`):
   * the field and the constant as written. Items without the value are new rows, known before the write.
   */
  sentinelKey?: { field: string; sentinel: string };
  /** A Prisma `upsert` with `update: {}`: an existing row is kept unchanged, only missing rows are created. */
  keepsExisting?: boolean;
  /**
   * A Prisma `upsert`'s `update` object: the fields it sets, as the code names them, and whether a value it
   * writes changes per item. Absent when the walker cannot read the object (a spread, a variable).
   */
  upsertUpdate?: {
    fields: string[];
    perRow: boolean;
    /** The database column of each field, in the same order, once the ORM schema has mapped them (`@map`). */
    columns?: string[];
  };
}

/**
 * A table named exactly as PostgreSQL will look it up: no quotes left, no case folding left to do.
 * Unquoted SQL names arrive folded by the parser; quoted SQL names, and names a client sends
 * (PostgREST, Prisma, Drizzle, Kysely quote every identifier), arrive as written.
 */
export interface RelationName {
  /** Absent when the code does not qualify the name: the search path decides (`public`). */
  schema?: string;
  name: string;
}

export interface AccessPattern {
  /** Table as the code names it, for messages: unqualified or `schema.table`, without quotes. */
  table: string;
  /**
   * The same table as an exact name, which `findPatternTable` (src/schema/lookup.ts) matches without
   * folding. Every extractor sets it; a pattern without it is read as the exact name `table` spells.
   */
  relation?: RelationName;
  kind: QueryKind;
  /** ANDed predicates of the WHERE clause on this table. */
  predicates: ColumnPredicate[];
  /** True when part of the WHERE is an OR the extractor could not split into AND terms. */
  hasOr: boolean;
  orderBy: OrderTerm[];
  /** LIMIT, range(), single(), maybeSingle(), or a unique lookup: at most a few rows wanted. */
  limited: boolean;
  /** An aggregate over every matching row (Prisma `count`, `aggregate`, `groupBy`): one row back, every match read. */
  countsAll?: boolean;
  joins: JoinUse[];
  /**
   * Set when the pattern is a relation filter's subquery (Prisma `some`, or `is` on a to-one relation) inside
   * the query on `table`: that query sends `key IN (SELECT ... FROM this table WHERE ...)`, which the planner
   * may run as a semi-join that probes this table once per row of `table`. `columns` are `table`'s side of
   * the relation (its `id` for a `some`, its foreign key for an `is`).
   */
  relationFilterOf?: { table: string; relation?: RelationName; columns: string[]; kind: "some" | "is" };
  /** Issued inside a loop body (for, while, forEach, map with await). */
  inLoop: boolean;
  /** The innermost loop that issues it, when inLoop: its kind (`for...of`, `.map()`) and 1-based line. */
  loop?: { kind: string; line: number };
  /** When inLoop and read from application code: what in the query changes from one iteration to the next. */
  loopUse?: LoopUse;
  /**
   * The rows this query returns are iterated in application code inside loops whose bounds are a date
   * or number range: that loop nest, outermost first, the loop over the rows last.
   */
  rowsIteratedIn?: Array<{ kind: string; line: number }>;
  source: PatternSource;
  /** Enclosing function name, when there is one (`getCallByReconnectToken`). */
  functionName?: string;
  /**
   * How the enclosing function caches its result across requests, when it does: the Next.js `"use cache"`
   * directive (nextjs.org/docs/app/api-reference/directives/use-cache) or `unstable_cache(fn)`. The query
   * then runs once per cache lifetime, not once per request.
   */
  cachedBy?: string;
  location: Location;
  suppressions: Suppression[];
}

// ---------------------------------------------------------------- findings

export interface Fix {
  /** Complete, parseable SQL. */
  sql: string;
  /**
   * Where the SQL goes in the file that holds the finding: `after` the statement at the finding's
   * location (a new index after a foreign key; the default), `replace` that statement (the same
   * statement rewritten, e.g. with CONCURRENTLY), or `separate`, a change of its own elsewhere.
   */
  placement?: "after" | "replace" | "separate";
  /**
   * The statement the fix goes after when that is not the finding's own location: an index on a table
   * that a migration not yet run creates goes right after its CREATE TABLE, though the finding is at a
   * call site in code.
   */
  at?: Location;
  /**
   * The same change in the schema the project maintains, when an ORM declares the schema: the `@@index(...)` line of
   * schema.prisma, or the `index(...)` line of a Drizzle table. `sql` is then what the ORM's migration tool generates
   * from it. `line` is where the text goes (1-based; for a removal, the line to delete).
   */
  declared?: DeclaredFix;
}

export interface DeclaredFix {
  file: string;
  line: number;
  /** `add` a line, `remove` the line at `line`, or `replace` it. */
  action: "add" | "remove" | "replace";
  /** The schema text to add or put in place (empty for a removal). */
  text: string;
  language: "prisma" | "typescript";
  /** Why the change goes elsewhere or cannot be declared (e.g. a partial index Prisma cannot express). */
  note?: string;
  /**
   * For a `replace` that only inserts into the line (a Drizzle config entry, or a new config callback): the text
   * inserted, once, into the line as it stands. Fixes that edit one line are combined from it.
   */
  inserted?: string;
}

/** What a rule returns; the pipeline adds id and the configured severity. */
export interface FindingDraft {
  rule: string;
  severity: Severity;
  /** Schema-qualified table, e.g. `public.call_logs`. */
  table: string;
  columns: string[];
  message: string;
  location: Location;
  fix?: Fix;
  /** Extra text for the detailed report (why it matters, call sites, caveats). */
  details?: string;
  /** Extra places the finding concerns (e.g. every call site a recommended index serves). */
  related?: Location[];
  /** Distinguishes two findings of the same rule on the same table and columns (e.g. the index name). */
  key?: string;
  /** A short heading when the rule's own name does not fit this finding (one rule, several kinds of finding). */
  title?: string;
  /**
   * One short line a reviewer reads first: what is slow or risky, where, and the change that fixes it
   * (`Deletes on sites scan call_logs: add idx_call_logs_site_id.`). Renderers build one from the title,
   * table and fix when a rule gives none.
   */
  summary?: string;
  /** The planner's evidence, when the verify stage (`--verify`) ran. */
  evidence?: Evidence;
}

/** One plan as EXPLAIN (FORMAT JSON) gives it, cut to what a reviewer reads. */
export interface PlanShape {
  /** Node types from the root down to the scan of the table, e.g. `Limit > Sort > Seq Scan`. */
  node: string;
  /** The index the table's scan uses, when it uses one. */
  index?: string;
  /** The scan's Index Cond, or its Filter when it has no Index Cond. */
  cond?: string;
  /** The planner's estimated rows out of the top node. */
  rows: number;
  /** The top node's estimated total cost (planner cost units). */
  cost: number;
  /** A Sort or Incremental Sort node appears. */
  sort: boolean;
}

/**
 * What PostgreSQL's planner (PGlite, PostgreSQL 18) did with a finding's query at the table's planned
 * size, before and after the recommended index was created (in a transaction rolled back afterwards).
 */
export interface Evidence {
  /** `PostgreSQL 18.x`, the server that planned. */
  planner: string;
  /** The row count the table was planned at. */
  rows: number;
  /** True when `rows` is the configured size hint; false when it is the verifier's default size. */
  hinted: boolean;
  /** The query as planned (parameters as the client binds them; generic plan). */
  query: string;
  before: PlanShape;
  after: PlanShape;
  /** before.cost / after.cost, rounded to one decimal. */
  costRatio: number;
  /** The planner used the recommended index for this query. */
  usesIndex: boolean;
  /** How many of the finding's queries were planned, and how many of them used the index. */
  queries: number;
  used: number;
}

/** A finding folded into another because both recommend the same index (e.g. fk-index into query-index). */
export interface MergedFinding {
  rule: string;
  /** The folded finding's own fingerprint, as it would have been reported alone. */
  id: string;
  columns: string[];
  key?: string;
  message: string;
}

export interface Finding extends FindingDraft {
  /** Stable fingerprint, independent of line numbers. */
  id: string;
  /** Findings of other rules that recommended this same index and were folded into this one. */
  merged?: MergedFinding[];
  /** The migration set the finding belongs to, when the repository has several. */
  set?: string;
}
