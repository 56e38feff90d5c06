// Prisma Migrate: <migrations>/<timestamp>_<name>/migration.sql, applied in folder-name order.
import { basename, codeUnitCompare, dirname, joinPath } from "../paths.js";
import { readInOrder } from "../read-ahead.js";
import { addTo, statementCount, readText, type Candidate, type DiscoverContext, type FrameworkModule } from "./framework.js";
import type { InputProblem } from "../../core/types.js";

const MIGRATION_FILE = /(^|\/)[^/]+\/migration\.sql$/;

/** Statements the statement splitter of Prisma Migrate 7.4 and later cannot read (frameworks/prisma.ts). */
export const SPLITTER_UNREADABLE = /\bDROP\s+INDEX\s+CONCURRENTLY\b/i;

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/--[^\n]*/g, " ");
}

export const prisma: FrameworkModule = {
  framework: "prisma",

  detect(files, ctx) {
    const roots = new Map<string, string[]>();
    for (const file of files) {
      if (!MIGRATION_FILE.test(file)) continue;
      const root = dirname(dirname(file));
      const isPrisma =
        ctx.fileSet.has(joinPath(root, "migration_lock.toml")) ||
        (basename(root) === "migrations" && basename(dirname(root)) === "prisma");
      if (!isPrisma) continue;
      addTo(roots, root, file);
    }
    for (const [root, group] of roots) {
      const lock = joinPath(root, "migration_lock.toml");
      if (ctx.fileSet.has(lock)) group.push(lock);
    }
    return [...roots].map(([root, group]): Candidate => ({ root, files: group }));
  },

  async build({ root, files }, ctx) {
    const problems: InputProblem[] = [];
    const lockPath = joinPath(root, "migration_lock.toml");
    if (ctx.fileSet.has(lockPath)) {
      const lock = await readText(ctx, lockPath);
      const provider = lock ? /^\s*provider\s*=\s*"([^"]+)"/m.exec(lock)?.[1] : undefined;
      if (provider && provider !== "postgresql" && provider !== "postgres") {
        return { set: null, problems, skipped: `Prisma migrations for ${provider} (${lockPath}), not PostgreSQL` };
      }
    }
    const migrations = files
      .filter((f) => basename(f) === "migration.sql" && dirname(dirname(f)) === root)
      .sort((a, b) => codeUnitCompare(basename(dirname(a)), basename(dirname(b))));

    const splitsStatements = await prismaSplitsStatements(root, ctx);
    const sends = splitsStatements ? ("split" as const) : ("script" as const);
    const ordered = migrations.map((path, order) => ({ path, order, runsInTransaction: false, sends }));
    let k = 0;
    for await (const [, result] of readInOrder(migrations, ctx.read)) {
      const file = ordered[k++];
      if (!result.ok || statementCount(result.text) < 2) continue;
      // A script of several statements is one implicit transaction; since 7.4 only when the splitter gives up.
      file.runsInTransaction = !splitsStatements || SPLITTER_UNREADABLE.test(withoutComments(result.text));
    }
    return { set: { name: root || ".", framework: "prisma", root, files: ordered }, problems };
  },
};

// How Prisma Migrate sends a migration.sql to PostgreSQL depends on its version:
// - before 7.4 the whole script went as one simple query, which PostgreSQL runs as one implicit
//   transaction when it holds more than one statement (prisma/prisma#22922), so CONCURRENTLY fails there;
// - since 7.4 (prisma-engines#5767) the script is split and each statement runs on its own, in autocommit.
//   The splitter parses the script with its own SQL parser, and when that parser cannot read a statement it
//   sends the whole script as one query again. It reads CREATE INDEX CONCURRENTLY but not DROP INDEX
//   CONCURRENTLY (prisma-engines#5847), so a file holding that and any other statement is one transaction.
// The version comes from the nearest package.json that names prisma; unknown means current behaviour.
async function prismaSplitsStatements(root: string, ctx: DiscoverContext): Promise<boolean> {
  const version = await prismaVersion(root, ctx);
  if (!version) return true;
  const [major, minor] = version;
  return major > 7 || (major === 7 && minor >= 4);
}

async function prismaVersion(root: string, ctx: DiscoverContext): Promise<[number, number] | null> {
  let dir = root;
  for (;;) {
    const manifest = joinPath(dir, "package.json");
    if (ctx.fileSet.has(manifest)) {
      const text = await readText(ctx, manifest);
      if (text) {
        try {
          const json = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
          const spec =
            json.dependencies?.prisma ?? json.devDependencies?.prisma ?? json.dependencies?.["@prisma/client"] ?? json.devDependencies?.["@prisma/client"];
          const m = spec ? /(\d+)\.(\d+)/.exec(spec) ?? /(\d+)/.exec(spec) : null;
          if (m) return [Number(m[1]), Number(m[2] ?? 0)];
        } catch {
          // A package.json that is not JSON says nothing about Prisma; keep looking upwards.
        }
      }
    }
    if (!dir) return null;
    dir = dirname(dir);
  }
}
