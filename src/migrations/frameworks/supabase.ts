// Supabase CLI: supabase/migrations/<timestamp>_<name>.sql, applied in file-name order.
import { basename, codeUnitCompare, dirname } from "../paths.js";
import { addTo, toMigrationFiles, type Candidate, type FrameworkModule } from "./framework.js";

/** The CLI's own pattern (pkg/migration/file.go); other files in the folder are skipped by it. */
const MIGRATION_NAME = /^([0-9]+)_(.*)\.sql$/;
const IN_MIGRATIONS = /(^|\/)supabase\/migrations\/[^/]+\.sql$/;

export const supabase: FrameworkModule = {
  framework: "supabase",

  detect(files) {
    const roots = new Map<string, string[]>();
    for (const file of files) {
      if (!IN_MIGRATIONS.test(file)) continue;
      const root = dirname(file);
      addTo(roots, root, file);
    }
    return [...roots].map(([root, group]): Candidate => ({ root, files: group }));
  },

  async build({ root, files }) {
    const migrations = files
      .filter((f) => dirname(f) === root && MIGRATION_NAME.test(basename(f)))
      .sort((a, b) => codeUnitCompare(basename(a), basename(b)));
    return {
      set: { name: root || ".", framework: "supabase", root, files: toMigrationFiles(migrations, () => SUPABASE_RUNS_IN_TRANSACTION) },
      problems: [],
    };
  },
};

// The CLI sends a file's statements as one pgx batch (MigrationFile.ExecBatch: "ExecBatch is implicitly
// transactional"); PostgreSQL runs the batch as one implicit transaction, and supabase/cli#2898 confirms
// "we are running each migration file in its own transaction". Since v2.109.0 (supabase/cli#5671) the CLI
// takes statements that cannot run in a pipeline (CREATE INDEX / REINDEX CONCURRENTLY, VACUUM, ...) out
// of the batch and runs them alone; the rest of the file still runs as one transaction.
const SUPABASE_RUNS_IN_TRANSACTION = true;
