// Access patterns from everything that queries the database: application code, .sql query files,
// and the functions, views and cron jobs the migrations define. Patterns go to the migration sets
// whose schema has their table.
import type { AuditConfig } from "../core/config.js";
import type { AccessPattern, ColumnPredicate, InputProblem, MigrationSet, Schema, Statement } from "../core/types.js";
import type { TextReader } from "../source/source.js";
import { findPatternTable, findTableExact } from "../schema/lookup.js";
import { extractFromCodeFile } from "./code-file.js";
import { mayQuery } from "./may-query.js";
import { patternsFromMigrations } from "./migration-sql.js";
import { collectSharedConstants, emptyConstants } from "./shared-constants.js";
import { extractFromSqlFile } from "./sql-file.js";
import { isUniqueLookup } from "./unique-lookup.js";
import { selectQueryFiles } from "./select-files.js";
import { findView, patternsThroughViews } from "./views.js";
import { declaredNames, resolveDeclaredNames } from "./clients/declared-names.js";
import type { EmbeddedPattern } from "./supabase.js";
import { createHash } from "node:crypto";
import type { FileMemo } from "../core/memo.js";
import type { ParsePool, QueryJobResult } from "../source/parse-pool.js";

/** JSON.stringify replacer that writes Maps (nested too) as sorted entry lists. */
function mapsAsEntries(_key: string, value: unknown): unknown {
  return value instanceof Map ? [...value.entries()].sort(([a], [b]) => String(a).localeCompare(String(b))) : value;
}

export interface QueryFiles {
  /** Patterns of code and .sql query files, in file order, before they are given to migration sets. */
  shared: EmbeddedPattern[];
  problems: InputProblem[];
  codeFiles: number;
}

export async function extractPatterns(
  files: string[],
  read: TextReader,
  config: AuditConfig,
  sets: Array<{ set: MigrationSet; statements: Statement[]; schema: Schema }>,
  memo?: FileMemo,
): Promise<{ patternsBySet: AccessPattern[][]; problems: InputProblem[]; codeFiles: number }> {
  const queryFiles = await (await startQueryFiles(files, read, config, sets.map((s) => s.set), memo)).done;
  return patternsForSets(queryFiles, sets);
}

/**
 * Reads the code and .sql query files and queues each file's extraction (on `pool`'s workers when given,
 * else here); resolves once every file is read, with `done`, the patterns and problems in file order.
 */
export async function startQueryFiles(
  files: string[],
  read: TextReader,
  config: AuditConfig,
  migrationSets: MigrationSet[],
  memo?: FileMemo,
  pool?: ParsePool,
): Promise<{ done: Promise<QueryFiles> }> {
  const selected = await selectQueryFiles(files, config, migrationSets, read);
  const problems: InputProblem[] = [];

  // Read everything first: constants exported by one file name the tables of another.
  const texts: Array<{ path: string; text: string }> = [];
  const constants = emptyConstants();
  for (const path of [...selected.code, ...selected.sql]) {
    const text = await read(path);
    if (!text.ok) {
      problems.push({ message: `${path}:1: ${text.reason}`, location: { file: path, line: 1, column: 1 } });
      continue;
    }
    texts.push({ path, text: text.text });
    if (!path.endsWith(".sql")) collectSharedConstants(text.text, constants);
  }
  pool?.setConstants(constants);
  // A file's patterns depend on its text and on the constants every file shares.
  const constantsKey = memo ? createHash("sha256").update(JSON.stringify(constants, mapsAsEntries)).digest("hex") : "";
  const results = texts.map(({ path, text }): { path: string; result: QueryJobResult | Promise<QueryJobResult> | Error } => {
    try {
      const sql = path.endsWith(".sql");
      // The quick test runs here: a code file it rules out holds no query, so it is neither sent to a
      // worker nor remembered (it would only push parsed files out of the memo).
      if (!sql && !mayQuery(text)) return { path, result: { patterns: [], problems: [] } };
      const extract = (): QueryJobResult | Promise<QueryJobResult> => {
        if (pool) return settled(pool.run(sql ? { kind: "sql", path, text } : { kind: "code", path, text }));
        return sql ? extractFromSqlFile(path, text) : extractFromCodeFile(path, text, constants);
      };
      return { path, result: memo ? memo.get("queries", `${path}\u0000${constantsKey}`, text, extract) : extract() };
    } catch (error) {
      return { path, result: error as Error };
    }
  });
  const done = (async (): Promise<QueryFiles> => {
    const shared: EmbeddedPattern[] = [];
    for (const { path, result } of results) {
      try {
        if (result instanceof Error) throw result;
        const value = await result;
        for (const p of value.patterns) shared.push(p);
        for (const p of value.problems) problems.push(p);
      } catch (error) {
        // A construct the extractors do not expect costs this file only.
        problems.push({ message: `${path}:1: could not be read for queries: ${(error as Error).message}`, location: { file: path, line: 1, column: 1 } });
      }
    }
    return { shared, problems, codeFiles: selected.code.length + selected.sql.length };
  })();
  return { done: settled(done) };
}

/** The query files' patterns given to each migration set, with the patterns its own migrations hold (functions, views, cron jobs). */
export function patternsForSets(
  queryFiles: QueryFiles,
  sets: Array<{ set: MigrationSet; statements: Statement[]; schema: Schema }>,
): { patternsBySet: AccessPattern[][]; problems: InputProblem[]; codeFiles: number } {
  const { shared } = queryFiles;
  const problems = [...queryFiles.problems];
  const patternsBySet = sets.map((entry) => {
    const own = patternsFromMigrations(entry.statements, problems);
    // Prisma and Drizzle calls name models and fields: mapped to tables and columns by the ORM schema read
    // with this set (schema.prisma, pgTable); a set with none leaves those calls out.
    const resolved = resolveDeclaredNames(shared, declaredNames(entry.schema.declared ?? []));
    const fromCode = sets.length === 1 ? resolved : resolved.filter((p) => findPatternTable(entry.schema, p) !== undefined || findView(entry.schema, p) !== undefined);
    return markUniqueLookups(patternsThroughViews([...own, ...resolveEmbeds(fromCode, entry.schema)], entry.schema), entry.schema);
  });
  return { patternsBySet, problems, codeFiles: queryFiles.codeFiles };
}

/** The same promise, marked as handled: it is awaited later, in order, and may reject before that. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/**
 * supabase-js embeds (`agent:agent_profiles(name)`) join through a foreign key that only the schema
 * names. The embedded table is read by its side of that key, once per parent row. An embed whose key
 * cannot be found (no FK, or several and no hint) keeps no join columns and yields no pattern.
 */
export function resolveEmbeds(patterns: EmbeddedPattern[], schema: Schema): AccessPattern[] {
  const out: AccessPattern[] = [];
  // Children follow their parent in extraction order; a resolved parent's join entries are patched in place.
  const resolvedParents = new Map<EmbeddedPattern, EmbeddedPattern>();
  let lastTopLevel: EmbeddedPattern | undefined;
  const parentsByTable = new Map<string, EmbeddedPattern>();
  for (const pattern of patterns) {
    if (!pattern.embeddedIn) {
      const copy: EmbeddedPattern = { ...pattern, joins: pattern.joins.map((j) => ({ ...j, columns: [...j.columns] })) };
      resolvedParents.set(pattern, copy);
      lastTopLevel = copy;
      parentsByTable.clear();
      parentsByTable.set(copy.table, copy);
      out.push(copy);
      continue;
    }
    const { table: parentName, relation: parentRelation, hint } = pattern.embeddedIn;
    const parent = findPatternTable(schema, { table: parentName, relation: parentRelation });
    let child = findPatternTable(schema, pattern);
    // PostgREST also embeds through an FK column's name: `agent_id(name)`.
    let viaColumn: string | undefined;
    if (!child && parent) {
      const fk = parent.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === pattern.table);
      if (fk) {
        child = findTableExact(schema, fk.references.schema, fk.references.table);
        viaColumn = pattern.table;
      }
    }
    const parentPattern = parentsByTable.get(parentName) ?? lastTopLevel;
    const rest: EmbeddedPattern = { ...pattern, joins: pattern.joins.map((j) => ({ ...j, columns: [...j.columns] })) };
    delete rest.embeddedIn;
    parentsByTable.set(pattern.table, rest);
    if (!parent || !child) continue;
    const matchesHint = (f: { name: string; columns: string[] }) =>
      (!hint || f.name === hint || f.columns.includes(hint)) && (!viaColumn || f.columns.includes(viaColumn));
    // Many-to-one: the parent holds the key; one-to-many: the child does.
    const toChild = parent.foreignKeys.filter((f) => f.references.table === child!.name && f.references.schema === child!.schema && matchesHint(f));
    const toParent = child.foreignKeys.filter((f) => f.references.table === parent.name && f.references.schema === parent.schema && matchesHint(f));
    const candidates = [
      ...toChild.map((f) => ({ childColumns: f.references.columns })),
      ...toParent.map((f) => ({ childColumns: f.columns })),
    ];
    if (candidates.length !== 1) continue;
    const columns = candidates[0].childColumns;
    const childName = child.schema === "public" ? child.name : `${child.schema}.${child.name}`;
    const join = parentPattern?.joins.find((j) => j.table === pattern.table && j.columns.length === 0);
    if (join) {
      join.table = childName;
      join.columns.push(...columns);
    }
    const joinPredicates: ColumnPredicate[] = columns.map((column) => ({ column, op: "eq", sentAs: "param" }));
    out.push({ ...rest, table: childName, relation: { schema: child.schema, name: child.name }, predicates: [...joinPredicates, ...rest.predicates] });
  }
  return out;
}

/** A select that pins the primary key or a unique index returns at most one row: limited, as `.single()` is. */
function markUniqueLookups(patterns: AccessPattern[], schema: Schema): AccessPattern[] {
  return patterns.map((pattern) => {
    if (pattern.limited || pattern.kind !== "select") return pattern;
    const table = findPatternTable(schema, pattern);
    return table && isUniqueLookup(pattern, table) ? { ...pattern, limited: true } : pattern;
  });
}
