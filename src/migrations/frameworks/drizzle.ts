// Drizzle Kit: <out>/<idx>_<name>.sql split by `--> statement-breakpoint`, ordered by meta/_journal.json;
// drizzle-kit 1.x writes <out>/<timestamp>_<name>/migration.sql folders instead, in folder-name order.
import type { InputProblem } from "../../core/types.js";
import { basename, dirname, joinPath, naturalCompare, codeUnitCompare } from "../paths.js";
import { addTo, problemAt, readText, toMigrationFiles, type Candidate, type FrameworkModule } from "./framework.js";

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

    if (ctx.fileSet.has(journalPath)) {
      const text = await readText(ctx, journalPath);
      let journal: Journal | null = null;
      if (text === null) problems.push(problemAt(journalPath, "drizzle journal cannot be read; migrations taken in file-name order"));
      else {
        try {
          journal = JSON.parse(text) as Journal;
        } catch (error) {
          problems.push(problemAt(journalPath, `drizzle journal is not valid JSON (${(error as Error).message}); migrations taken in file-name order`));
        }
      }
      if (journal) {
        const dialect = journal.dialect?.toLowerCase();
        if (dialect && dialect !== "postgresql" && dialect !== "pg" && dialect !== "postgres") {
          return { set: null, problems, skipped: `Drizzle migrations for ${journal.dialect} (${journalPath}), not PostgreSQL` };
        }
        const entries = [...(journal.entries ?? [])].sort((a, b) => (a.idx ?? 0) - (b.idx ?? 0));
        const fromJournal: string[] = [];
        for (const entry of entries) {
          if (!entry.tag) continue;
          const path = joinPath(root, `${entry.tag}.sql`);
          if (ctx.fileSet.has(path)) fromJournal.push(path);
          else problems.push(problemAt(journalPath, `drizzle journal lists "${entry.tag}" but ${path} does not exist`, lineOf(text ?? "", entry.tag)));
        }
        ordered = fromJournal;
      }
    }
    return {
      set: { name: root || ".", framework: "drizzle", root, files: toMigrationFiles(ordered, () => DRIZZLE_RUNS_IN_TRANSACTION) },
      problems,
    };
  },
};

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(`"${needle}"`);
  if (at === -1) return 1;
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < at; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
