// A plain folder of .sql files, applied in natural order (file2 before file10).
import { basename, dirname, naturalCompare, segments } from "../paths.js";
import { addTo, type Candidate, type FrameworkModule } from "./framework.js";

/** Folder names that hold migrations; `db`, `schema` and `sql` only count when their files are numbered. */
const MIGRATION_FOLDERS = new Set(["migrations", "migration", "migrate"]);
const NUMBERED_FOLDERS = new Set(["db", "schema", "sql", "database"]);
/** Application data and dumps that live beside migrations but are not migrations. */
const NOT_MIGRATIONS = /^(seeds?([_.-].*)?\.sql|.*[_.-]seeds?\.sql|schema\.sql|structure\.sql)$/i;
const NUMBERED = /^\d/;

// No runner is known: such folders are applied with psql -f or a hand-written loop, statement by
// statement in autocommit, so nothing wraps the file in a transaction unless it says BEGIN itself.
const PLAIN_RUNS_IN_TRANSACTION = false;

function looksLikeMigrationFolder(folder: string, names: string[]): boolean {
  const parts = segments(folder).map((s) => s.toLowerCase());
  const own = parts[parts.length - 1] ?? "";
  const numbered = names.filter((n) => NUMBERED.test(n)).length;
  if (numbered === 0) return false;
  if (MIGRATION_FOLDERS.has(own)) return true;
  if (NUMBERED_FOLDERS.has(own)) return numbered * 2 >= names.length;
  // e.g. db/migrations/postgres/0001_init.sql
  return parts.slice(0, -1).some((p) => MIGRATION_FOLDERS.has(p)) && numbered * 2 >= names.length;
}

/** The folder's own .sql files in natural order; when it has none, those of its subfolders, by path. */
export function plainMigrationFiles(files: string[], root: string): string[] {
  const sql = files.filter((f) => f.toLowerCase().endsWith(".sql") && !NOT_MIGRATIONS.test(basename(f)));
  const own = sql.filter((f) => dirname(f) === root);
  if (own.length > 0) return own.sort((a, b) => naturalCompare(basename(a), basename(b)));
  return sql.filter((f) => f === root || f.startsWith(root ? `${root}/` : "")).sort(naturalCompare);
}

export const plain: FrameworkModule = {
  framework: "plain",

  detect(files) {
    const folders = new Map<string, string[]>();
    for (const file of files) {
      if (!file.toLowerCase().endsWith(".sql")) continue;
      const folder = dirname(file);
      addTo(folders, folder, file);
    }
    const candidates: Candidate[] = [];
    for (const [folder, group] of folders) {
      const names = group.map(basename).filter((n) => !NOT_MIGRATIONS.test(n));
      if (looksLikeMigrationFolder(folder, names)) candidates.push({ root: folder, files: group });
    }
    return candidates;
  },

  async build({ root, files }) {
    const ordered = plainMigrationFiles(files, root);
    return {
      set: {
        name: root || ".",
        framework: "plain",
        root,
        files: ordered.map((path, order) => ({ path, order, runsInTransaction: PLAIN_RUNS_IN_TRANSACTION })),
      },
      problems: [],
    };
  },
};
