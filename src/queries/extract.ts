// Placeholder until the query extractors land: no patterns.
import type { AuditConfig } from "../core/config.js";
import type { AccessPattern, InputProblem, MigrationSet, Schema, Statement } from "../core/types.js";
import type { TextReader } from "../audit.js";

export async function extractPatterns(
  _files: string[],
  _read: TextReader,
  _config: AuditConfig,
  sets: Array<{ set: MigrationSet; statements: Statement[]; schema: Schema }>,
): Promise<{ patternsBySet: AccessPattern[][]; problems: InputProblem[]; codeFiles: number }> {
  return { patternsBySet: sets.map(() => []), problems: [], codeFiles: 0 };
}
