// golang-migrate: <version>_<title>.up.sql in numeric version order; .down.sql files are for rollbacks.
import type { InputProblem } from "../../core/types.js";
import { basename, compareDigits, dirname } from "../paths.js";
import { readInOrder } from "../read-ahead.js";
import { addTo, statementCount, problemAt, type Candidate, type FrameworkModule } from "./framework.js";

const UP = /^(\d+)_(.*)\.up\.sql$/;
const ANY = /^(\d+)_(.*)\.(up|down)\.sql$/;

export const golangMigrate: FrameworkModule = {
  framework: "golang-migrate",

  detect(files) {
    const roots = new Map<string, string[]>();
    for (const file of files) {
      if (!ANY.test(basename(file))) continue;
      const root = dirname(file);
      addTo(roots, root, file);
    }
    return [...roots]
      .filter(([, group]) => group.some((f) => UP.test(basename(f))))
      .map(([root, group]): Candidate => ({ root, files: group }));
  },

  async build({ root, files }, ctx) {
    const problems: InputProblem[] = [];
    const ups = files
      .filter((f) => dirname(f) === root)
      .map((path) => ({ path, version: UP.exec(basename(path))?.[1] }))
      .filter((u): u is { path: string; version: string } => u.version !== undefined)
      .sort((a, b) => compareDigits(a.version, b.version) || (a.path < b.path ? -1 : 1));
    for (let k = 1; k < ups.length; k++) {
      if (compareDigits(ups[k - 1].version, ups[k].version) === 0) {
        problems.push(problemAt(ups[k].path, `migration version ${ups[k].version} is also used by ${ups[k - 1].path}; golang-migrate refuses duplicate versions`));
      }
    }
    const migrationFiles = [];
    let order = 0;
    for await (const [path, result] of readInOrder(
      ups.map((u) => u.path),
      ctx.read,
    )) {
      // The postgres driver sends the whole file in one Exec (database/postgres Run -> runStatement), a
      // simple query that PostgreSQL runs as one implicit transaction when it holds several statements;
      // a file of a single statement runs on its own. (x-multi-statement=true splits it, but that is
      // set in the database URL, which the repository does not show.)
      const runsInTransaction = result.ok && statementCount(result.text) > 1;
      migrationFiles.push({ path, order: order++, runsInTransaction });
    }
    return { set: { name: root || ".", framework: "golang-migrate", root, files: migrationFiles }, problems };
  },
};
