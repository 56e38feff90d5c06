// Drizzle Kit: <out>/<idx>_<name>.sql split by `--> statement-breakpoint`, ordered by meta/_journal.json;
// drizzle-kit 1.x writes <out>/<timestamp>_<name>/migration.sql folders instead, in folder-name order.
import type { InputProblem } from "../../core/types.js";
import { basename, dirname, joinPath, naturalCompare, codeUnitCompare } from "../paths.js";
import type { TextReader } from "../../source/source.js";
import { DEFAULT_OUT, DRIZZLE_CONFIG, foreignDrizzleDialect, readDrizzleConfig, resolveFromConfig } from "./drizzle-config.js";
import { addTo, listingAt, problemAt, readText, toMigrationFiles, type Candidate, type FrameworkModule } from "./framework.js";

export const STATEMENT_BREAKPOINT = "--> statement-breakpoint";
const JOURNAL = /(^|\/)meta\/_journal\.json$/;

interface Journal {
  dialect?: string;
  entries?: Array<{ idx?: number; tag?: string }>;
}

// PgDialect.migrate (drizzle-orm pg-core/dialect) runs every pending migration inside one
// session.transaction(), statement by statement, so each file runs in a transaction.
const DRIZZLE_RUNS_IN_TRANSACTION = true;

export const drizzle: FrameworkModule & { claimsByContent(text: string): boolean } = {
  framework: "drizzle",

  claimsByContent(text) {
    return text.includes(STATEMENT_BREAKPOINT);
  },

  detect(files, ctx) {
    const candidates: Candidate[] = [];
    for (const journal of files.filter((f) => JOURNAL.test(f))) {
      const root = dirname(dirname(journal));
      candidates.push({ root, files: files.filter((f) => dirname(f) === root && f.endsWith(".sql")).concat(journal) });
    }
    // A folder a drizzle config names as its `out` holds drizzle-kit's files even with no journal beside them
    // (and whatever the folder is called: `supabase/migrations` too, where the Supabase CLI would claim it).
    for (const root of ctx.drizzleOuts ?? []) {
      if (candidates.some((c) => c.root === root)) continue;
      const sql = files.filter((f) => dirname(f) === root && f.endsWith(".sql"));
      if (sql.length > 0) candidates.push({ root, files: sql });
    }
    // drizzle-kit 1.x: <out>/<folder>/migration.sql beside <out>/<folder>/snapshot.json.
    const v1Roots = new Map<string, string[]>();
    for (const file of files) {
      if (basename(file) !== "migration.sql") continue;
      if (!ctx.fileSet.has(joinPath(dirname(file), "snapshot.json"))) continue;
      const root = dirname(dirname(file));
      if (candidates.some((c) => c.root === root)) continue;
      addTo(v1Roots, root, file);
    }
    for (const [root, group] of v1Roots) candidates.push({ root, files: group });
    return candidates;
  },

  async build({ root, files }, ctx) {
    const problems: InputProblem[] = [];
    const journalPath = joinPath(root, "meta/_journal.json");
    const sqlFiles = files.filter((f) => dirname(f) === root && f.endsWith(".sql")).sort((a, b) => naturalCompare(basename(a), basename(b)));
    const folderFiles = files
      .filter((f) => basename(f) === "migration.sql" && dirname(dirname(f)) === root)
      .sort((a, b) => codeUnitCompare(basename(dirname(a)), basename(dirname(b))));
    let ordered = sqlFiles.length > 0 ? sqlFiles : folderFiles;
    // Files the journal does not list are applied by some other means (psql, a dashboard), so drizzle-kit's
    // one transaction is not known to wrap them: they are read as running outside one.
    let listed: ReadonlySet<string> | null = null;

    if (ctx.fileSet.has(journalPath)) {
      const text = await readText(ctx, journalPath);
      const journal = text === null ? null : parseJournal(text, journalPath, problems);
      if (text === null) problems.push(problemAt(journalPath, "drizzle journal cannot be read; migrations taken in file-name order"));
      if (journal) {
        const dialect = typeof journal.dialect === "string" ? journal.dialect.toLowerCase() : undefined;
        if (dialect && dialect !== "postgresql" && dialect !== "pg" && dialect !== "postgres") {
          return { set: null, problems, skipped: `Drizzle migrations for ${journal.dialect} (${journalPath}), not PostgreSQL` };
        }
        ordered = journalOrder(journal, text!, journalPath, root, sqlFiles, ctx.fileSet, problems);
        listed = new Set(journalListed(journal, root));
      }
    }
    return {
      set: { name: root || ".", framework: "drizzle", root, files: toMigrationFiles(ordered, (path) => DRIZZLE_RUNS_IN_TRANSACTION && (listed === null || listed.has(path))) },
      problems,
    };
  },
};

/** The journal, or null (reported) when it is not JSON or not shaped like one. */
function parseJournal(text: string, journalPath: string, problems: InputProblem[]): Journal | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // Newer Node versions give the offset ("at position 42"); older ones quote the text around it.
    const message = (error as Error).message.replace(/\s+/g, " ").trim();
    const position = /position (\d+)/.exec(message);
    const line = position ? lineAtOffset(text, Number(position[1])) : 1;
    problems.push(problemAt(journalPath, `drizzle journal is not valid JSON (${message}); migrations taken in file-name order`, line));
    return null;
  }
  const journal = parsed as Journal | null;
  if (!journal || typeof journal !== "object" || (journal.entries !== undefined && !Array.isArray(journal.entries))) {
    problems.push(problemAt(journalPath, "drizzle journal has no list of entries; migrations taken in file-name order"));
    return null;
  }
  return journal;
}

/**
 * Journal entries in `idx` order, then the folder's SQL files the journal does not list, in name order.
 * drizzle-kit applies only what the journal lists (readMigrationFiles in drizzle-orm's migrator); a file
 * beside it that is not listed is usually a migration whose entry was lost, so it is still read, after
 * the listed ones, and reported (one report naming every such file). An entry whose file is missing is reported at its line of the journal.
 */
function journalOrder(
  journal: Journal,
  text: string,
  journalPath: string,
  root: string,
  sqlFiles: string[],
  fileSet: ReadonlySet<string>,
  problems: InputProblem[],
): string[] {
  const entries = [...(journal.entries ?? [])].sort((a, b) => (a.idx ?? 0) - (b.idx ?? 0));
  const listed: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (typeof entry?.tag !== "string" || !entry.tag || seen.has(entry.tag)) continue;
    seen.add(entry.tag);
    const path = joinPath(root, `${entry.tag}.sql`);
    if (fileSet.has(path)) listed.push(path);
    else problems.push(listingAt(journalPath, `drizzle journal lists "${entry.tag}" but ${path} does not exist`, lineOf(text, entry.tag)));
  }
  const taken = new Set(listed);
  const unlisted = sqlFiles.filter((f) => !taken.has(f));
  // One report for all of them: a journal that lost its entries would otherwise bury every other finding.
  if (unlisted.length === 1) {
    problems.push(listingAt(unlisted[0], `${unlisted[0]} is not listed in ${journalPath}: drizzle-kit does not apply it; audited after the listed migrations`));
  } else if (unlisted.length > 1) {
    const names = unlisted.map((f) => f.slice(root === "" || root === "." ? 0 : root.length + 1)).join(", ");
    problems.push(
      listingAt(journalPath, `${unlisted.length} SQL files in ${root} are not listed in ${journalPath}: ${names}. drizzle-kit does not apply them; they are audited after the listed migrations, in name order`),
    );
  }
  return [...listed, ...unlisted];
}

/** The paths the journal's entries name, whether or not the files exist. */
function journalListed(journal: Journal, root: string): string[] {
  return (journal.entries ?? []).filter((e) => typeof e?.tag === "string" && e.tag).map((e) => joinPath(root, `${e.tag}.sql`));
}

function lineAtOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(JSON.stringify(needle));
  return at === -1 ? 1 : lineAtOffset(text, at);
}

/**
 * The folders the drizzle configs among `configs` name as `out` (drizzle-kit's default, `drizzle`, when a
 * config names none), resolved from each config's folder. Configs for another dialect, and configs that
 * cannot be read or parsed, add nothing.
 */
export async function drizzleOutFolders(files: string[], read: TextReader): Promise<Set<string>> {
  const outs = new Set<string>();
  for (const path of files.filter((f) => DRIZZLE_CONFIG.test(f))) {
    const result = await read(path);
    if (!result.ok) continue;
    const config = readDrizzleConfig(path, result.text);
    if (!config || foreignDrizzleDialect(config)) continue;
    const out = resolveFromConfig(path, config.out ?? DEFAULT_OUT);
    if (out !== null) outs.add(out);
  }
  return outs;
}
