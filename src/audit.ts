// The pipeline: source -> migrations -> schema -> queries -> rules -> findings.
// Reading happens through the Source; everything after is pure.
import type { AuditConfig } from "./core/config.js";
import type { FileMemo } from "./core/memo.js";
import type { AccessPattern, Finding, InputProblem, MigrationSet, Schema, Statement } from "./core/types.js";
import { findTableExact } from "./schema/lookup.js";
import { readCodeFacts } from "./queries/auth-sessions.js";
import { textReader, type Source, type TextReader } from "./source/source.js";
import { initParser } from "./sql/parser.js";
import { discoverMigrationSets, type SkippedSet } from "./migrations/discover.js";
import { startMigrationSet, type LoadResult } from "./migrations/load.js";
import { replaySchema } from "./schema/replay.js";
import { patternsForSets, startQueryFiles } from "./queries/extract.js";
import { createParsePool, poolSize } from "./source/parse-pool.js";
import { runParseJob } from "./source/parse-jobs.js";
import { unresolvedViews, type UnresolvedView } from "./queries/views.js";
import { findDeclaredSchemas, type DeclaredSource } from "./schema/declared/find.js";
import { declaredSchema, declaredSet, mergeDeclared, replayOverDeclared } from "./schema/declared/merge.js";
import { segments } from "./migrations/paths.js";
import { runRules } from "./rules/run.js";
import type { VerificationReport } from "./verify/report.js";

export interface AuditOptions {
  config: AuditConfig;
  /** Called with a short line of progress now and then (the CLI prints it on a TTY). */
  onProgress?: (message: string) => void;
  /** Results per file kept across audits (the app's base and head, later pushes): only changed files are parsed again. */
  memo?: FileMemo;
  /**
   * Worker threads that parse files: 0 parses on this thread. By default one per core for inputs of
   * POOL_MIN_FILES files or more, none below (overridden by the INDEX_AUDIT_WORKERS environment variable).
   */
  workers?: number;
}

export interface SetResult {
  set: MigrationSet;
  statements: Statement[];
  schema: Schema;
  patterns: AccessPattern[];
  /** Views the code queries that the audit could not match to a table: they get no advice. */
  unresolvedViews?: UnresolvedView[];
  /** The ORM schema read with this set: what it added to the migrations, or that it is the schema (no migrations). */
  declared?: DeclaredUse;
}

export interface DeclaredUse {
  orm: "prisma" | "drizzle";
  files: string[];
  /** No migrations: the declaration is the schema (`prisma db push`, `drizzle-kit push`). */
  standsAlone: boolean;
  /** Tables declared but not created by the migrations, added from the declaration (`schema.table`). */
  addedTables: string[];
  /** Relations with no database constraint (Prisma relationMode = "prisma"), modelled as application-only foreign keys. */
  applicationOnlyForeignKeys: number;
}

export interface AuditResult {
  findings: Finding[];
  sets: SetResult[];
  /** Input that could not be read or parsed; each also appears as a `parse-error` finding. */
  problems: InputProblem[];
  /** Folders that look like migrations but were left out (another database's, or excluded by config). */
  skipped: SkippedSet[];
  stats: { files: number; migrationFiles: number; statements: number; codeFiles: number; patterns: number };
  /** What the verify stage did, when it ran (`verify: true`, `--verify`). */
  verification?: VerificationReport;
}

export { textReader, type TextReader } from "./source/source.js";

/** Files a parse worker may be given: migrations and query files are among these. */
const QUERY_FILE = /\.(?:sql|[cm]?[jt]sx?)$/i;

export async function audit(source: Source, options: AuditOptions): Promise<AuditResult> {
  await initParser();
  const { config } = options;
  const progress = options.onProgress ?? (() => {});
  const read = textReader(source);
  const files = (await source.list()).map((f) => f.path);
  const problems: InputProblem[] = [];

  const discovered = await discoverMigrationSets(files, read, config);
  problems.push(...discovered.problems);

  const size = poolSize(files.filter((f) => QUERY_FILE.test(f)).length, options.workers);
  const pool = size > 0 ? createParsePool(size, runParseJob) : undefined;
  let loaded: LoadedSet[];
  let extracted: ReturnType<typeof patternsForSets>;
  try {
    // Every file's parse is queued before any is awaited: the workers parse code files while this
    // thread replays the migrations.
    const started: Array<{ done: Promise<LoadResult> }> = [];
    for (const set of discovered.sets) started.push(await startMigrationSet(set, read, options.memo, pool));
    const queryFiles = await startQueryFiles(files, read, config, discovered.sets, options.memo, pool);
    loaded = await loadSchemas(discovered.sets, files, read, problems, { progress, memo: options.memo, started });
    progress("reading queries from code");
    extracted = patternsForSets(await queryFiles.done, loaded);
  } finally {
    await pool?.close();
  }
  problems.push(...extracted.problems);
  const codeFacts = await readCodeFacts(files, read);

  const sets: SetResult[] = loaded.map((l, i) => ({
    set: l.set,
    statements: l.statements,
    schema: l.schema,
    patterns: extracted.patternsBySet[i] ?? [],
    unresolvedViews: unresolvedViews(extracted.patternsBySet[i] ?? [], l.schema),
    ...(l.declared ? { declared: l.declared } : {}),
  }));

  const findings = runRules(
    loaded.map((l, i) => ({ ...sets[i], problems: l.problems, codeFacts })),
    problems,
    config,
    sets.length > 1,
  );
  for (const l of loaded) problems.push(...l.problems);

  const result: AuditResult = {
    findings,
    sets,
    problems,
    skipped: discovered.skipped,
    stats: {
      files: files.length,
      migrationFiles: discovered.sets.reduce((n, s) => n + s.files.length, 0),
      statements: loaded.reduce((n, l) => n + l.statements.length, 0),
      codeFiles: extracted.codeFiles,
      patterns: extracted.patternsBySet.reduce((n, p) => n + p.length, 0),
    },
  };
  if (config.verify && sets.length > 0) {
    // Loaded only when asked for: the static audit never starts PostgreSQL.
    progress("verifying with PostgreSQL's planner");
    const { verifyAudit } = await import("./verify/index.js");
    result.verification = await verifyAudit(result, config);
  }
  return result;
}

/** A migration set read and replayed, with the declared schema joined to it, if any. */
export interface LoadedSet {
  set: MigrationSet;
  statements: Statement[];
  schema: Schema;
  /** Problems of this set's files and replay. */
  problems: InputProblem[];
  declared?: DeclaredUse;
}

/**
 * Each migration set read and replayed, then the declared schemas (schema.prisma, Drizzle pgTable) joined to
 * the set they belong to, or added as sets of their own when no migrations hold them. Problems of finding the
 * declared schemas go to `problems`; each set keeps its own.
 */
export async function loadSchemas(
  sets: MigrationSet[],
  files: string[],
  read: TextReader,
  problems: InputProblem[],
  options: {
    progress?: (message: string) => void;
    memo?: FileMemo;
    /** Sets whose files are already read and queued (startMigrationSet), in the order of `sets`. */
    started?: Array<{ done: Promise<LoadResult> }>;
  } = {},
): Promise<LoadedSet[]> {
  const progress = options.progress ?? (() => {});
  const loaded: LoadedSet[] = [];
  for (const [k, set] of sets.entries()) {
    progress(`reading ${set.files.length} migrations in ${set.name}`);
    const started = options.started?.[k] ?? (await startMigrationSet(set, read, options.memo));
    const { statements, problems: setProblems } = await started.done;
    const schema = replaySchema(statements, setProblems);
    loaded.push({ set, statements, schema, problems: setProblems });
  }
  progress("reading declared schemas");
  const declared = await findDeclaredSchemas(files, read);
  problems.push(...declared.problems);
  joinDeclaredSchemas(loaded, declared.sources);
  return loaded;
}

/** The migration set a declared schema belongs to: the same ORM's, in the folder nearest the schema. */
function pairedSet(loaded: Array<{ set: MigrationSet }>, source: DeclaredSource): number {
  const framework = source.read.declared.orm;
  const own = segments(source.root);
  let best = -1;
  let bestScore = -1;
  loaded.forEach(({ set }, i) => {
    if (set.framework !== framework) return;
    const theirs = segments(set.root);
    let common = 0;
    while (common < own.length && common < theirs.length && own[common] === theirs[common]) common++;
    if (common > bestScore) {
      best = i;
      bestScore = common;
    }
  });
  const candidates = loaded.filter((l) => l.set.framework === framework).length;
  // A set of the same ORM in an unrelated folder of a monorepo is another database's.
  return best !== -1 && (bestScore > 0 || candidates === 1 || own.length === 0) ? best : -1;
}

/**
 * The migration set of another tool that builds the same database the declaration describes (a Prisma
 * client over Supabase migrations): the one holding most of the declared tables, at least half of them.
 * -1 when none does, so the declaration stands for a database of its own.
 */
function setHoldingDeclaredTables(loaded: LoadedSet[], declared: Schema): number {
  let best = -1;
  let bestCount = 0;
  loaded.forEach((entry, i) => {
    if (entry.declared?.standsAlone) return;
    const count = declared.tables.filter((t) => findTableExact(entry.schema, t.schema, t.name) !== undefined).length;
    if (count > bestCount) {
      best = i;
      bestCount = count;
    }
  });
  return bestCount > 0 && bestCount * 2 >= declared.tables.length ? best : -1;
}

/**
 * Joins each declared schema to its migration set, or adds it as a set of its own when there are no migrations.
 * Mutates `loaded` (the pipeline's working list).
 */
function joinDeclaredSchemas(loaded: LoadedSet[], sources: DeclaredSource[]): void {
  for (const source of sources) {
    const { orm, files } = source.read.declared;
    const problems: InputProblem[] = [];
    const alone = declaredSchema(source.read, problems);
    let index = pairedSet(loaded, source);
    if (index === -1) index = setHoldingDeclaredTables(loaded, alone.schema);
    if (index === -1) {
      loaded.push({
        set: declaredSet(source.read, source.root),
        statements: [],
        schema: alone.schema,
        problems,
        declared: { orm, files, standsAlone: true, addedTables: [], applicationOnlyForeignKeys: alone.applicationOnlyForeignKeys },
      });
      continue;
    }
    const entry = loaded[index];
    let merged = mergeDeclared(entry.schema, alone.schema);
    // Migrations that alter or index declared tables they never create are replayed over those tables.
    const over = replayOverDeclared(source.read, merged.addedTables, entry.statements);
    if (over) merged = { ...mergeDeclared(over, alone.schema), addedTables: merged.addedTables };
    entry.schema = merged.schema;
    entry.problems.push(...problems);
    // A second declaration of the same database (Prisma and Drizzle side by side) adds to the first.
    const before = entry.declared;
    entry.declared = {
      orm: before?.orm ?? orm,
      files: [...(before?.files ?? []), ...files],
      standsAlone: false,
      addedTables: [...(before?.addedTables ?? []), ...merged.addedTables],
      applicationOnlyForeignKeys: (before?.applicationOnlyForeignKeys ?? 0) + merged.applicationOnlyForeignKeys,
    };
  }
}
