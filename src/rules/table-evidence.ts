// What the audit can tell about a table's life without a size hint: whether the code deletes its
// rows, whether it grows, whether it is a small lookup table, whether its deletes are rewritten by a
// rule. Severity decisions of fk-index and index-locking weigh these; each piece of evidence carries
// a short phrase the finding quotes, so the report says which evidence decided.
import { tableHint } from "../core/config.js";
import type { AccessPattern, QueryKind, Statement, Table } from "../core/types.js";
import { findPatternTable, findTable, findTableExact, qualifiedTableName } from "../schema/lookup.js";
import { expectedRows, isKnownSmall, isLarge } from "./model.js";
import type { RuleContext } from "./rule.js";
import { nameParts } from "./sql-text.js";
import { oneOffKind } from "./one-off-code.js";

/** One piece of evidence: what was seen and where. */
export interface Evidence {
  /** A phrase that completes "because ...", e.g. `the code deletes sites rows (app/sites.ts:40)`. */
  text: string;
  /**
   * Set on a delete path that starts where an ownership tree loses its root: every delete of the table
   * removes one row by its key, and the table is the user accounts (`account`: a user closes an account)
   * or the tenants (`tenant`: a team, organisation or workspace is deleted with everything it owns). It
   * runs once per closed account or deleted tenant, not on every request.
   */
  closure?: "account" | "tenant";
}

/** The table of user accounts (`users`, `User`, `app_users`): deleting one of its rows closes an account. */
const ACCOUNT_TABLE = /^(app_?|auth_?)?users?$/i;

/**
 * Tables of tenants (`Team`, `organizations`, `organisation`, `workspaces`, `tenant`): the root of the
 * ownership tree that every other row belongs to. Deleting one ends that tenant's life.
 */
const TENANT_TABLE = /^(app_?)?(teams?|organi[sz]ations?|orgs?|workspaces?|tenants?)$/i;

/** Columns at most this many, no time column, referenced and referencing nothing, read but never written by code: a lookup table. */
export const LOOKUP_MAX_COLUMNS = 5;

/** Timestamp/date columns whose name says "when the row was added": rows accumulate over time. */
const TIME_COLUMN = /^(created|inserted|occurred|logged|recorded|received|sent|happened|event|timestamp)(_?(at|on|time|date|ts))?$/i;
const TIME_TYPE = /timestamp|date|time with/i;

interface Index {
  patternsByTable: Map<Table, AccessPattern[]>;
  referenced: Set<Table>;
  /** Tables the code reads through a join or an embedded relation. */
  joined: Set<Table>;
  softDeleted: Map<Table, Statement>;
  /** liveDeletePath's answers, per table: fk-index asks once per foreign key, many for one parent. */
  deletePaths: Map<Table, Evidence | null>;
}

const cache = new WeakMap<RuleContext["schema"], WeakMap<AccessPattern[], Index>>();

function indexOf(context: RuleContext): Index {
  let bySchema = cache.get(context.schema);
  if (!bySchema) cache.set(context.schema, (bySchema = new WeakMap()));
  let index = bySchema.get(context.patterns);
  if (index) return index;
  const patternsByTable = new Map<Table, AccessPattern[]>();
  for (const pattern of context.patterns) {
    const table = findPatternTable(context.schema, pattern);
    if (!table) continue;
    const list = patternsByTable.get(table);
    if (list) list.push(pattern);
    else patternsByTable.set(table, [pattern]);
  }
  const referenced = new Set<Table>();
  for (const table of context.schema.tables) {
    for (const fk of table.foreignKeys) {
      const parent = findTableExact(context.schema, fk.references.schema, fk.references.table);
      if (parent && parent !== table) referenced.add(parent);
    }
  }
  const joined = new Set<Table>();
  for (const pattern of context.patterns) {
    for (const join of pattern.joins) {
      // A join names its table exactly, as the pattern's own table is named.
      const table = findPatternTable(context.schema, { table: join.table });
      if (table) joined.add(table);
    }
  }
  index = { patternsByTable, referenced, joined, softDeleted: softDeleteRules(context), deletePaths: new Map() };
  bySchema.set(context.patterns, index);
  return index;
}

/**
 * Tables whose DELETE a rule turns into something else: `CREATE RULE ... AS ON DELETE TO t DO INSTEAD
 * <not a delete of t>` with no WHERE, still in place after every migration. PostgreSQL rewrites the
 * DELETE before it runs, so no row is deleted and no foreign-key check or cascade fires
 * (PostgreSQL documentation, "The Rule System", rules on INSERT, UPDATE and DELETE).
 */
function softDeleteRules(context: RuleContext): Map<Table, Statement> {
  const rules = new Map<string, { table: string; statement: Statement }>();
  for (const statement of context.statements) {
    const rule = statement.ast.RuleStmt;
    if (rule) {
      const relation = rule.relation ?? {};
      const table = `"${relation.schemaname ?? "public"}"."${relation.relname ?? ""}"`;
      const key = `${table}\u0000${rule.rulename}`;
      const deletesItself = (rule.actions ?? []).some((action: Record<string, any>) => {
        const target = action.DeleteStmt?.relation;
        return target && target.relname === relation.relname && (target.schemaname ?? "public") === (relation.schemaname ?? "public");
      });
      if (rule.event === "CMD_DELETE" && rule.instead && !rule.whereClause && !deletesItself) rules.set(key, { table, statement });
      else rules.delete(key);
      continue;
    }
    const drop = statement.ast.DropStmt;
    if (drop?.removeType === "OBJECT_RULE") {
      for (const object of drop.objects ?? []) {
        const parts = nameParts(object.List?.items ?? []);
        if (parts.length < 2) continue;
        const name = parts[parts.length - 1];
        const tableName = parts[parts.length - 2];
        const schemaName = parts.length > 2 ? parts[parts.length - 3] : "public";
        rules.delete(`"${schemaName}"."${tableName}"\u0000${name}`);
      }
    }
  }
  const out = new Map<Table, Statement>();
  for (const { table, statement } of rules.values()) {
    const model = findTable(context.schema, table);
    if (model && !out.has(model)) out.set(model, statement);
  }
  return out;
}

/** The rule statement that turns DELETE on this table into something else, if there is one. */
export function softDeleteRule(context: RuleContext, table: Table): Statement | undefined {
  return indexOf(context).softDeleted.get(table);
}

/** Query patterns the code runs on this table. */
export function patternsOn(context: RuleContext, table: Table): AccessPattern[] {
  return indexOf(context).patternsByTable.get(table) ?? [];
}

function where(pattern: AccessPattern): string {
  return `${pattern.location.file}:${pattern.location.line}`;
}

/**
 * Evidence that rows of `table` are deleted on a code path: a DELETE the code runs on it, or on a
 * table whose ON DELETE CASCADE reaches it. Null when there is none, or when a rule rewrites the
 * table's deletes. Updates are not counted: PostgreSQL runs the check on an update of the referenced
 * row only when its key changes (`RI_FKey_pk_upd_check_required` in ri_triggers.c), and an update
 * pattern does not say which columns it sets.
 */
export function liveDeletePath(context: RuleContext, table: Table): Evidence | null {
  const known = indexOf(context).deletePaths;
  let path = known.get(table);
  if (path === undefined) known.set(table, (path = deletePath(context, table, new Set())));
  return path;
}

function deletePath(context: RuleContext, table: Table, seen: Set<Table>): Evidence | null {
  if (seen.has(table)) return null;
  seen.add(table);
  if (softDeleteRule(context, table)) return null;
  const deletes = patternsOn(context, table).filter((p) => p.kind === "delete");
  if (deletes.length > 0) {
    const more = deletes.length > 1 ? ` and ${deletes.length - 1} more` : "";
    const byKey = deletes.every((p) => deletesOneRowByKey(table, p));
    if (byKey && ACCOUNT_TABLE.test(table.name)) {
      return { text: `the code deletes ${label(table)} rows (${where(deletes[0])}${more}) one account at a time, by its key`, closure: "account" };
    }
    if (byKey && TENANT_TABLE.test(table.name)) {
      return { text: `the code deletes ${label(table)} rows (${where(deletes[0])}${more}) one tenant at a time, by its key`, closure: "tenant" };
    }
    return { text: `the code deletes ${label(table)} rows (${where(deletes[0])}${more})` };
  }
  // Every path that reaches the table, preferring one that runs on ordinary requests over a closed account or deleted tenant.
  let closure: Evidence | null = null;
  for (const fk of table.foreignKeys) {
    if (fk.onDelete !== "cascade" || fk.enforced === false) continue;
    const parent = findTableExact(context.schema, fk.references.schema, fk.references.table);
    if (!parent) continue;
    const upstream = deletePath(context, parent, seen);
    if (!upstream) continue;
    const evidence: Evidence = { text: `${upstream.text}, which cascades to ${label(table)}`, closure: upstream.closure };
    if (!upstream.closure) return evidence;
    closure ??= evidence;
  }
  return closure;
}

/**
 * The DELETE that closes a user account in the same function as `pattern` (same file, same function
 * name): one row of the user accounts table removed by its key, the `account` closure `liveDeletePath`
 * recognises. The function runs once per closed account, a rare path. Undefined when there is none, when
 * the code's function has no name, or when a rule rewrites the table's deletes.
 */
export function accountClosure(context: RuleContext, pattern: AccessPattern): { delete: AccessPattern; table: Table } | undefined {
  if (!pattern.functionName) return undefined;
  for (const other of context.patterns) {
    if (other.kind !== "delete" || other.location.file !== pattern.location.file || other.functionName !== pattern.functionName) continue;
    const table = findPatternTable(context.schema, other);
    if (table && ACCOUNT_TABLE.test(table.name) && !softDeleteRule(context, table) && deletesOneRowByKey(table, other)) return { delete: other, table };
  }
  return undefined;
}

/**
 * A delete that removes at most one row: an unconditional equality on the primary key or on a single-column
 * unique key (`DELETE FROM users WHERE id = $1`). A delete by a range or by another column (a cleanup job) is not.
 */
function deletesOneRowByKey(table: Table, pattern: AccessPattern): boolean {
  const keys = new Set<string>();
  if (table.primaryKey?.columns.length === 1) keys.add(table.primaryKey.columns[0]);
  for (const index of table.indexes) {
    if (index.unique && index.where === null && index.keys.length === 1 && index.keys[0].column !== undefined) keys.add(index.keys[0].column);
  }
  return pattern.predicates.some((p) => p.op === "eq" && !p.conditional && p.column !== undefined && keys.has(p.column));
}

/**
 * True when the audit read code that runs statements of one of these kinds on some table. Only then does
 * "the code never deletes t" or "never inserts into t" say something about the code rather than about
 * what the audit could read.
 */
export function codeRuns(context: RuleContext, kinds: QueryKind[]): boolean {
  let seen = kindsRun.get(context.patterns);
  if (!seen) kindsRun.set(context.patterns, (seen = new Set(context.patterns.map((p) => p.kind))));
  return kinds.some((kind) => seen.has(kind));
}

// Asked for each foreign key and dropped index: the kinds the code runs, once per pattern list (not changed once extracted).
const kindsRun = new WeakMap<AccessPattern[], Set<QueryKind>>();

export function hasTimeColumn(table: Table): string | null {
  const column = table.columns.find((c) => TIME_COLUMN.test(c.name) && TIME_TYPE.test(c.type));
  return column?.name ?? null;
}

/** Names of tables that hold settings or configuration: a row or a few per owner, not a growing history. */
const SETTINGS_NAME = /(settings|setting|config|configs|configuration|configurations|preferences|prefs)$/i;

/**
 * Why the table holds a fixed number of rows per owner, or null: its name says settings or configuration
 * (`OrganisationGlobalSettings`, `team_config`), or a unique key covers one of its foreign keys, so each
 * parent row has at most one row here.
 */
export function perOwnerShape(table: Table): string | null {
  if (SETTINGS_NAME.test(table.name)) return `${label(table)} is a settings or configuration table, a few rows per owner rather than a growing history`;
  const uniques = table.indexes.filter((i) => i.unique && i.where === null).map((i) => i.keys.map((k) => k.column));
  if (table.primaryKey) uniques.push([...table.primaryKey.columns]);
  for (const fk of table.foreignKeys) {
    const one = uniques.find((cols) => cols.length > 0 && cols.every((c) => c !== undefined && fk.columns.includes(c)));
    // Says how the table grows, not what any one check reads: the unique key serves only its own key's check.
    if (one) return `${label(table)} holds at most one row per ${fk.references.table} (a unique key on ${fk.columns.join(", ")}), so it grows only as ${fk.references.table} does`;
  }
  return null;
}

/**
 * Evidence that the table keeps growing: a size hint (large, or append-only); an append-only shape in
 * the code (it inserts rows, never updates them, and deletes them, if at all, only by age); or a history
 * the code reads by time (an insert path, and a query bounding a time column by a range). A time column
 * or an insert path alone is not enough: per-owner resources (apps, API tokens, saved collections) and
 * link tables whose rows the code deletes again (tags on a customer, pending invites) have both. None of
 * it counts for a settings or configuration table, one row per parent, or a lookup table.
 */
export function growth(context: RuleContext, table: Table): Evidence | null {
  const rows = expectedRows(context.config, table);
  if (isLarge(context.config, table)) return { text: `${label(table)} is expected to hold ${rows!.toLocaleString("en-US")} rows (size hint)` };
  if (tableHint(context.config, table.schema, table.name)?.appendOnly) return { text: `${label(table)} is append-only (size hint)` };
  if (perOwnerShape(table) || lookupShape(context, table)) return null;
  const patterns = patternsOn(context, table);
  const inserts = patterns.filter((p) => p.kind === "insert" || p.kind === "upsert");
  if (inserts.length === 0) return null;
  const deletes = patterns.filter((p) => p.kind === "delete");
  const byAge = deletes.length > 0 && deletes.every((p) => deletesByAge(table, p));
  const appendOnly =
    inserts.every((p) => p.kind === "insert") && !patterns.some((p) => p.kind === "update" || p.kind === "upsert") && (deletes.length === 0 || byAge);
  if (appendOnly) {
    const never = byAge ? `never updates its rows and deletes them only by age (${where(deletes[0])})` : "never updates or deletes its rows";
    return { text: `the code inserts into ${label(table)} (${where(inserts[0])}) and ${never}, so rows accumulate` };
  }
  const window = patterns.find((p) => p.kind !== "insert" && timeRange(table, p));
  if (window) {
    return { text: `the code inserts into ${label(table)} (${where(inserts[0])}) and reads it by a range of ${timeRange(table, window)} (${where(window)}), a history that grows with time` };
  }
  return null;
}

/**
 * Why growth() found nothing, naming what the code does with the table: completes "nothing shows t
 * growing without bound: ...". Only meaningful when growth() returned null and no size hint applies.
 */
export function noGrowthSeen(context: RuleContext, table: Table): string {
  const owner = perOwnerShape(table) ?? lookupShape(context, table);
  if (owner) return owner;
  const patterns = patternsOn(context, table);
  const inserts = patterns.filter((p) => p.kind === "insert" || p.kind === "upsert");
  if (inserts.length === 0) return `no size hint, and the code the audit read never inserts into ${label(table)}`;
  const deletes = patterns.filter((p) => p.kind === "delete" && !deletesByAge(table, p));
  if (deletes.length > 0) {
    return `no size hint; the code inserts into ${label(table)} but also deletes its rows (${where(deletes[0])}), so it is not append-only, and no query reads it by a time range`;
  }
  const updates = patterns.filter((p) => p.kind === "update" || p.kind === "upsert");
  return `no size hint; the code inserts into ${label(table)} but also updates its rows (${where(updates[0] ?? inserts[0])}), so it is not append-only, and no query reads it by a time range`;
}

/** The time column a query bounds by a range (`created_at >= $1`), or null. */
function timeRange(table: Table, pattern: AccessPattern): string | null {
  for (const p of pattern.predicates) {
    if (p.op !== "range" || p.conditional || !p.column) continue;
    const column = table.columns.find((c) => c.name === p.column);
    if (column && isHistoryTimeColumn(column)) return column.name;
  }
  return null;
}

/** A delete whose every filter is a range on a time column: retention (`DELETE ... WHERE created_at < $1`). */
function deletesByAge(table: Table, pattern: AccessPattern): boolean {
  return pattern.predicates.length > 0 && pattern.predicates.every((p) => p.op === "range" && timeRange(table, { ...pattern, predicates: [p] }) !== null);
}

/** A column that says when the row's event happened (`created_at`, `occurred_at`, a plain `date`), not when it ends. */
function isHistoryTimeColumn(column: { name: string; type: string }): boolean {
  return (TIME_COLUMN.test(column.name) || /^(date|day)$/i.test(column.name)) && TIME_TYPE.test(column.type);
}

/** Supabase's platform-owned schemas: their tables and indexes belong to the platform, not the project. */
const PLATFORM_SCHEMAS = new Set(["auth", "storage"]);

/** True for a table in a schema the platform owns (`auth.users`, `storage.objects`): no advice applies to it. */
export function platformOwned(table: Pick<Table, "schema">): boolean {
  return PLATFORM_SCHEMAS.has(table.schema);
}

/**
 * Why the table looks like a lookup table holding a handful of rows, or null: a size hint under the
 * small-table threshold, or few columns, no time column, no code that writes it but a seed or other one-off
 * script, other tables referencing it, and none it references but lookup tables of the same kind (a price list
 * under a product list).
 */
export function lookupShape(context: RuleContext, table: Table, seen: Set<Table> = new Set(), asParent = false): string | null {
  if (isKnownSmall(context.config, table)) return `the size hint says ${label(table)} holds about ${expectedRows(context.config, table)!.toLocaleString("en-US")} rows`;
  if (expectedRows(context.config, table) !== undefined) return null;
  if (table.columns.length === 0 || table.columns.length > LOOKUP_MAX_COLUMNS || hasTimeColumn(table)) return null;
  // Referenced: other tables point at it. A child of another table grows with it, unless that parent is a lookup table too.
  if (!indexOf(context).referenced.has(table)) return null;
  seen.add(table);
  const parents = table.foreignKeys.map((fk) => findTableExact(context.schema, fk.references.schema, fk.references.table));
  if (parents.some((p) => !p || p === table || seen.has(p) || lookupShape(context, p, seen, true) === null)) return null;
  const patterns = patternsOn(context, table);
  const seeded = patterns.filter((p) => p.kind !== "select" && oneOffKind(p.location.file) !== null);
  if (patterns.some((p) => p.kind !== "select" && !seeded.includes(p))) return null;
  // "Never written" means something only when the audit read the code that uses the table: it must see it read
  // (a parent of a table it reads counts as read through it).
  const joined = indexOf(context).joined.has(table);
  if (patterns.length === seeded.length && !joined && !asParent) return null;
  const references = parents.length > 0 ? `referencing only lookup tables (${parents.map((p) => label(p!)).join(", ")})` : "referencing none";
  const written = seeded.length > 0 ? `read, and written only by a seed or one-off script (${where(seeded[0])})` : "read but never written by the code the audit read";
  return `${label(table)} looks like a lookup table (${table.columns.length} column${table.columns.length === 1 ? "" : "s"}, no time column, referenced by other tables and ${references}, ${written})`;
}

function label(table: Table): string {
  return table.schema === "public" ? table.name : qualifiedTableName(table);
}
