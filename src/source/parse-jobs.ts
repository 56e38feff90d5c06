// The work a parse worker does for one file, also run on the calling thread when there is no pool.
import type { InputProblem, Statement } from "../core/types.js";
import { loadScript } from "../migrations/load.js";
import { extractFromCodeFile } from "../queries/code-file.js";
import type { SharedConstants } from "../queries/shared-constants.js";
import { extractFromSqlFile } from "../queries/sql-file.js";
import type { MigrationJobResult, ParseJob, QueryJobResult } from "./parse-pool.js";

/** A migration file's statements and problems, or a code or .sql query file's patterns and problems. Needs initParser() done. */
export function runParseJob(job: ParseJob, constants: SharedConstants): MigrationJobResult | QueryJobResult {
  if (job.kind === "migration") {
    const statements: Statement[] = [];
    const problems: InputProblem[] = [];
    loadScript(job.text, job.file, statements, problems);
    return { statements, problems };
  }
  if (job.kind === "sql") return extractFromSqlFile(job.path, job.text);
  return extractFromCodeFile(job.path, job.text, constants);
}
