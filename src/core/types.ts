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

export type Framework =
  | "supabase"
  | "prisma"
  | "drizzle"
  | "flyway"
  | "golang-migrate"
  | "dbmate"
  | "sqitch"
  | "schema-dump"
  | "plain";

/** One migration file, in the order the framework applies it. */
export interface MigrationFile {
  path: string;
  /** Position in apply order, 0-based. */
  order: number;
  /** True when the framework wraps each file in a transaction of its own. */
  runsInTransaction: boolean;
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

/** A problem met while reading input; becomes a `parse-error` finding. */
export interface InputProblem {
  message: string;
  location: Location;
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
  /** File order in which the table was (last) created. */
  createdInFileOrder: number;
  location: Location;
}

export interface Schema {
  tables: Table[];
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
  | "contains" // @>, <@, && (array / jsonb)
  | "other";

export interface ColumnPredicate {
  /** Plain column name, or absent when the left side is an expression. */
  column?: string;
  /** Expression's SQL text, e.g. `lower(email)`. */
  expression?: string;
  op: PredicateOp;
  /** For eq/range/bool with a constant: the constant as SQL literal text (`'accepted'`, `true`, `10`). */
  value?: string;
  /** For range: the operator. */
  operator?: "<" | "<=" | ">" | ">=";
  /** How the client sends the compared value. */
  sentAs: SentAs;
  /** For ILIKE: case-insensitive. */
  caseInsensitive?: boolean;
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
}

export interface AccessPattern {
  /** Table as named in the code: unqualified or `schema.table`. */
  table: string;
  kind: QueryKind;
  /** ANDed predicates of the WHERE clause on this table. */
  predicates: ColumnPredicate[];
  /** True when part of the WHERE is an OR the extractor could not split into AND terms. */
  hasOr: boolean;
  orderBy: OrderTerm[];
  /** LIMIT, range(), single(), maybeSingle(), or a unique lookup: at most a few rows wanted. */
  limited: boolean;
  joins: JoinUse[];
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
}

export interface Finding extends FindingDraft {
  /** Stable fingerprint, independent of line numbers. */
  id: string;
  /** The migration set the finding belongs to, when the repository has several. */
  set?: string;
}
