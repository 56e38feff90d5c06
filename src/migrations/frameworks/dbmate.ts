// dbmate: <version>_<name>.sql in file-name order; each file holds `-- migrate:up` and `-- migrate:down`
// sections, and only the up section is applied.
import type { InputProblem } from "../../core/types.js";
import { basename, codeUnitCompare, dirname } from "../paths.js";
import { keepOnly } from "../script.js";
import { readInOrder } from "../read-ahead.js";
import { problemAt, type FrameworkModule } from "./framework.js";

const MIGRATION_NAME = /^\d+.*\.sql$/;
const UP_LINE = /^--\s*migrate:up\b(.*)$/m;
const DOWN_LINE = /^--\s*migrate:down\b.*$/m;

/** The up section only, with the rest blanked out so lines keep their numbers; null when there is none. */
export function dbmateUpSection(text: string): string | null {
  const up = UP_LINE.exec(text);
  if (!up) return null;
  const start = up.index + up[0].length;
  DOWN_LINE.lastIndex = 0;
  const down = DOWN_LINE.exec(text.slice(start));
  const end = down ? start + down.index : text.length;
  return keepOnly(text, [[start, end]]);
}

export const dbmate: FrameworkModule & { claimsByContent(text: string): boolean } = {
  framework: "dbmate",

  claimsByContent(text) {
    return UP_LINE.test(text);
  },

  // dbmate has no layout of its own beyond db/migrations: its folders are recognised by content.
  detect() {
    return [];
  },

  async build({ root, files }, ctx) {
    const problems: InputProblem[] = [];
    const ordered = files
      .filter((f) => dirname(f) === root && MIGRATION_NAME.test(basename(f)))
      .sort((a, b) => codeUnitCompare(basename(a), basename(b)));
    const migrationFiles = [];
    let order = 0;
    for await (const [path, result] of readInOrder(ordered, ctx.read)) {
      const up = result.ok ? UP_LINE.exec(result.text) : null;
      if (result.ok && !up) {
        problems.push(problemAt(path, "dbmate migration has no `-- migrate:up` line; dbmate refuses to apply it"));
      }
      // dbmate wraps each migration in a transaction unless the up line says `transaction:false`.
      const runsInTransaction = !(up && /\btransaction:\s*false\b/.test(up[1]));
      migrationFiles.push({ path, order: order++, runsInTransaction });
    }
    return { set: { name: root || ".", framework: "dbmate", root, files: migrationFiles }, problems };
  },
};
