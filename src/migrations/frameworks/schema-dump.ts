// A single schema dump (pg_dump --schema-only, Rails structure.sql, dbmate schema.sql, sqlc schema.sql).
import { basename } from "../paths.js";
import type { Candidate, FrameworkModule } from "./framework.js";

export const DUMP_NAMES = new Set(["schema.sql", "structure.sql"]);

// A dump is loaded with psql (pg_restore / `psql -f`), statement by statement in autocommit.
const DUMP_RUNS_IN_TRANSACTION = false;

export const schemaDump: FrameworkModule = {
  framework: "schema-dump",

  detect(files) {
    return files.filter((f) => DUMP_NAMES.has(basename(f).toLowerCase())).map((f): Candidate => ({ root: f, files: [f] }));
  },

  async build({ root, files }) {
    const path = files.find((f) => f.toLowerCase().endsWith(".sql")) ?? root;
    return {
      set: { name: path, framework: "schema-dump", root, files: [{ path, order: 0, runsInTransaction: DUMP_RUNS_IN_TRANSACTION }] },
      problems: [],
    };
  },
};
