// Finds the migration sets of a repository and orders each one's files the way its framework applies them.
// Layout decides (one module per framework under frameworks/); the config's paths, framework and
// exclude settings override what the layout suggests.
import type { TextReader } from "../source/source.js";
import type { AuditConfig } from "../core/config.js";
import type { InputProblem, MigrationFramework, MigrationSet } from "../core/types.js";
import { initParser } from "../sql/parser.js";
import { databaseNamedByPath, foreignDialect } from "./dialect.js";
import { dbmate } from "./frameworks/dbmate.js";
import { drizzle, drizzleOutFolders } from "./frameworks/drizzle.js";
import { flyway } from "./frameworks/flyway.js";
import type { Candidate, DiscoverContext, FrameworkModule } from "./frameworks/framework.js";
import { problemAt } from "./frameworks/framework.js";
import { golangMigrate } from "./frameworks/golang-migrate.js";
import { plain, plainMigrationFiles } from "./frameworks/plain.js";
import { prisma } from "./frameworks/prisma.js";
import { schemaDump } from "./frameworks/schema-dump.js";
import { sqitch } from "./frameworks/sqitch.js";
import { supabase } from "./frameworks/supabase.js";
import { basename, dirname, globMatches, isUnder, naturalCompare, normalizePath, segments } from "./paths.js";

export const FRAMEWORK_MODULES: Record<MigrationFramework, FrameworkModule> = {
  supabase,
  prisma,
  drizzle,
  flyway,
  "golang-migrate": golangMigrate,
  dbmate,
  sqitch,
  "schema-dump": schemaDump,
  plain,
};

/** Frameworks recognised by their layout, most specific first: a file claimed by one is not offered to the next. */
const BY_LAYOUT: FrameworkModule[] = [sqitch, drizzle, prisma, supabase, flyway, golangMigrate];

/** Frameworks recognised by what the first file of a plain-looking folder says. */
const BY_CONTENT = [dbmate, drizzle];

/** Folders whose .sql files are test data or vendored code, never the application's migrations. */
const NOT_APPLICATION = new Set([
  "test",
  "tests",
  "__tests__",
  "__test__",
  "fixtures",
  "__fixtures__",
  "testdata",
  "test-data",
  "spec",
  "__mocks__",
  "node_modules",
  "vendor",
  "third_party",
]);

/** A folder that looked like migrations and was left out, with the reason. */
export interface SkippedSet {
  root: string;
  reason: string;
}

export interface DiscoveryResult {
  sets: MigrationSet[];
  problems: InputProblem[];
  /** Migration-like folders not audited (another database's migrations, excluded by config). Not errors. */
  skipped: SkippedSet[];
}

interface Planned {
  candidate: Candidate;
  module: FrameworkModule;
}

export async function discoverMigrationSets(files: string[], read: TextReader, config: AuditConfig): Promise<DiscoveryResult> {
  await initParser();
  const sorted = [...files].sort();
  const application = sorted.filter((f) => !segments(dirname(f)).some((s) => NOT_APPLICATION.has(s.toLowerCase())));
  const ctx: DiscoverContext = { files: sorted, fileSet: new Set(sorted), read, drizzleOuts: await drizzleOutFolders(application, read) };
  const problems: InputProblem[] = [];
  const skipped: SkippedSet[] = [];
  const forced = config.migrations.framework ? FRAMEWORK_MODULES[config.migrations.framework] : null;
  const excludes = config.migrations.exclude;
  const isExcluded = (path: string): boolean => excludes.some((glob) => globMatches(glob, path));

  let planned: Planned[];
  if (config.migrations.paths.length > 0) {
    planned = [];
    for (const raw of config.migrations.paths) {
      const path = normalizePath(raw);
      const found = await planConfiguredPath(path, ctx, forced);
      if (found.length === 0) {
        problems.push(problemAt(path || ".", `migrations.paths entry "${raw}" matches no SQL migration files`));
      }
      planned.push(...found);
    }
  } else {
    planned = await planByLayout(application, ctx, { dumps: true });
    if (forced) planned = planned.map((p) => ({ ...p, module: forced }));
  }

  const sets: MigrationSet[] = [];
  for (const { candidate, module } of planned) {
    if (isExcluded(candidate.root)) {
      skipped.push({ root: candidate.root, reason: "excluded by migrations.exclude" });
      continue;
    }
    const named = declaresItsDatabase(candidate, module, ctx) ? null : databaseNamedByPath(candidate.root);
    if (named && !config.migrations.paths.length) {
      skipped.push({ root: candidate.root, reason: `${named} migrations (named by the folder), not PostgreSQL` });
      continue;
    }
    const kept = { root: candidate.root, files: candidate.files.filter((f) => !isExcluded(f)) };
    const built = await module.build(kept, ctx);
    problems.push(...built.problems);
    if (built.skipped) {
      skipped.push({ root: candidate.root, reason: built.skipped });
      continue;
    }
    if (!built.set || built.set.files.length === 0) continue;
    const foreign = await foreignDialect(
      built.set.files.map((f) => f.path),
      read,
    );
    if (foreign) {
      skipped.push({ root: candidate.root, reason: `${foreign}, not PostgreSQL` });
      continue;
    }
    const applied = new Set(built.set.files.map((f) => f.path));
    const companions = candidate.files.filter((f) => !applied.has(f));
    sets.push(companions.length > 0 ? { ...built.set, companions } : built.set);
  }

  sets.sort((a, b) => naturalCompare(a.name, b.name));
  skipped.sort((a, b) => naturalCompare(a.root, b.root));
  return { sets: uniqueNames(sets), problems, skipped };
}

/**
 * Supabase is PostgreSQL by definition, and Prisma, Drizzle and Sqitch projects name their database in
 * a file of their own (checked when the set is built, or a drizzle config naming the folder as its `out`):
 * for those a folder name proves nothing.
 */
function declaresItsDatabase(candidate: Candidate, module: FrameworkModule, ctx: DiscoverContext): boolean {
  if (module === supabase) return true;
  if (module === drizzle && ctx.drizzleOuts?.has(candidate.root)) return true;
  return candidate.files.some((f) => /(^|\/)(migration_lock\.toml|_journal\.json|sqitch\.conf)$/.test(f));
}

/** Finds migration folders by layout, then plain-looking folders (whose first file may name dbmate or drizzle), then dumps. */
async function planByLayout(pool: string[], ctx: DiscoverContext, options: { dumps: boolean; fallbackRoot?: string }): Promise<Planned[]> {
  const planned: Planned[] = [];
  let remaining = pool;
  const claim = (candidate: Candidate): void => {
    const taken = new Set(candidate.files);
    remaining = remaining.filter((f) => !taken.has(f));
  };

  for (const module of BY_LAYOUT) {
    for (const candidate of module.detect(remaining, ctx)) {
      if (candidate.files.length === 0) continue;
      planned.push({ candidate, module });
      claim(candidate);
    }
  }

  let generic = plain.detect(remaining, ctx);
  if (generic.length === 0 && planned.length === 0 && options.fallbackRoot !== undefined) {
    const root = options.fallbackRoot;
    const sql = remaining.filter((f) => f.toLowerCase().endsWith(".sql"));
    if (sql.length > 0) generic = [{ root, files: sql }];
  }
  for (const candidate of generic) {
    planned.push({ candidate, module: await moduleByContent(candidate, ctx) });
    claim(candidate);
  }

  if (options.dumps) {
    for (const candidate of schemaDump.detect(remaining, ctx)) {
      if (!dumpStandsAlone(candidate.root, planned)) continue;
      planned.push({ candidate, module: schemaDump });
    }
  }
  return planned;
}

/** dbmate and drizzle folders without a journal look plain; their first file says which they are. */
async function moduleByContent(candidate: Candidate, ctx: DiscoverContext): Promise<FrameworkModule> {
  const first = plainMigrationFiles(candidate.files, candidate.root)[0];
  if (!first) return plain;
  const result = await ctx.read(first);
  if (!result.ok) return plain;
  return BY_CONTENT.find((m) => m.claimsByContent(result.text)) ?? plain;
}

/** A dump beside migrations describes what they build: auditing both would report everything twice. */
function dumpStandsAlone(dump: string, planned: Planned[]): boolean {
  let project = dirname(dump);
  if (["db", "schema", "sql", "database", "supabase", "prisma"].includes(basename(project).toLowerCase())) project = dirname(project);
  return !planned.some(({ candidate }) => isUnder(candidate.root, project) || isUnder(project, candidate.root));
}

async function planConfiguredPath(path: string, ctx: DiscoverContext, forced: FrameworkModule | null): Promise<Planned[]> {
  if (ctx.fileSet.has(path)) {
    const candidate = { root: path, files: [path] };
    if (forced) return [{ candidate: { root: dirname(path), files: [path] }, module: forced }];
    const result = await ctx.read(path);
    const byContent = result.ok ? BY_CONTENT.find((m) => m.claimsByContent(result.text)) : undefined;
    if (byContent) return [{ candidate: { root: dirname(path), files: [path] }, module: byContent }];
    return [{ candidate, module: schemaDump }];
  }
  const under = ctx.files.filter((f) => isUnder(f, path));
  if (under.length === 0) return [];
  if (forced) return [{ candidate: { root: path, files: under }, module: forced }];
  return planByLayout(under, ctx, { dumps: false, fallbackRoot: path });
}

/** Two sets can end up with the same name (a set rooted at a dump and a folder of the same path); number them. */
function uniqueNames(sets: MigrationSet[]): MigrationSet[] {
  const seen = new Map<string, number>();
  return sets.map((set) => {
    const count = seen.get(set.name) ?? 0;
    seen.set(set.name, count + 1);
    return count === 0 ? set : { ...set, name: `${set.name} (${count + 1})` };
  });
}
