// Flyway: V<version>__<description>.sql in version order (1.9 before 1.10), then R__<description>.sql
// repeatables in description order; U<version>__ undo scripts are never part of a forward migrate.
import type { InputProblem } from "../../core/types.js";
import { basename, compareDigits, dirname, isUnder, segments } from "../paths.js";
import { readInOrder } from "../read-ahead.js";
import { prepareScript } from "../script.js";
import { problemAt, readText, type Candidate, type DiscoverContext, type FrameworkModule } from "./framework.js";

const VERSIONED = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const REPEATABLE = /^R__(.+)\.sql$/;
const UNDO = /^U(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const FOLDER_NAMES = new Set(["migration", "migrations"]);

// PostgreSQLParser.detectCanExecuteInTransaction: a script holding one of these statements is run
// outside a transaction (Flyway checks the upper-cased statement with comments and extra spaces removed).
const NON_TRANSACTIONAL = [
  /^(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)\b/,
  /^ALTER SYSTEM\b/,
  /^(CREATE|DROP)( UNIQUE)? INDEX CONCURRENTLY\b/,
  /^REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM)\b/,
  /^VACUUM\b/,
  /^DISCARD ALL\b/,
  /^COPY( .*)? FROM STDIN\b/,
];

/**
 * Flyway replaces `${name}` placeholders before it runs a script. Each becomes a plain name of the same
 * length (`${schema}.users` reads as `  schema .users`), so the SQL parses and offsets stay the file's.
 */
export function placeholdersAsNames(text: string): string {
  if (!text.includes("${")) return text;
  return text.replace(/\$\{([A-Za-z0-9_.:-]+)\}/g, (_match, name: string) => `  ${name.replace(/[^A-Za-z0-9_]/g, "_")} `);
}

export function isFlywayFile(name: string): boolean {
  return VERSIONED.test(name) || REPEATABLE.test(name) || UNDO.test(name);
}

function versionParts(version: string): string[] {
  return version.split(/[._]/);
}

/** Flyway compares versions part by part as numbers; missing parts count as 0 (1 = 1.0). */
export function compareFlywayVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let k = 0; k < Math.max(pa.length, pb.length); k++) {
    const c = compareDigits(pa[k] ?? "0", pb[k] ?? "0");
    if (c !== 0) return c;
  }
  return 0;
}

/** The folder Flyway scans: the nearest `migration(s)` folder above the script, else the script's own folder. */
function flywayRoot(file: string): string {
  const parts = segments(dirname(file));
  for (let k = parts.length - 1; k >= 0; k--) {
    if (FOLDER_NAMES.has(parts[k].toLowerCase())) return parts.slice(0, k + 1).join("/");
  }
  return dirname(file);
}

export const flyway: FrameworkModule = {
  framework: "flyway",

  detect(files) {
    const roots = new Map<string, string[]>();
    for (const file of files) {
      const name = basename(file);
      if (!VERSIONED.test(name)) continue;
      const root = flywayRoot(file);
      if (!roots.has(root)) roots.set(root, []);
    }
    for (const root of roots.keys()) {
      roots.set(
        root,
        files.filter((f) => isUnder(f, root) && (isFlywayFile(basename(f)) || /\.sql\.conf$/.test(f))),
      );
    }
    return [...roots].map(([root, group]): Candidate => ({ root, files: group }));
  },

  async build({ root, files }, ctx) {
    const problems: InputProblem[] = [];
    const versioned: Array<{ path: string; version: string }> = [];
    const repeatable: Array<{ path: string; description: string }> = [];
    for (const path of files) {
      const name = basename(path);
      const v = VERSIONED.exec(name);
      if (v) versioned.push({ path, version: v[1] });
      const r = REPEATABLE.exec(name);
      if (r) repeatable.push({ path, description: r[1] });
    }
    versioned.sort((a, b) => compareFlywayVersions(a.version, b.version) || (a.path < b.path ? -1 : 1));
    for (let k = 1; k < versioned.length; k++) {
      if (compareFlywayVersions(versioned[k - 1].version, versioned[k].version) === 0) {
        problems.push(
          problemAt(versioned[k].path, `Flyway version ${versioned[k].version} is also used by ${versioned[k - 1].path}; Flyway refuses to migrate`),
        );
      }
    }
    repeatable.sort((a, b) => (a.description < b.description ? -1 : a.description > b.description ? 1 : 0));
    const ordered = [...versioned.map((v) => v.path), ...repeatable.map((r) => r.path)];
    const migrationFiles = [];
    let order = 0;
    for await (const [path, result] of readInOrder(ordered, ctx.read)) {
      migrationFiles.push({ path, order: order++, runsInTransaction: await flywayRunsInTransaction(path, result.ok ? result.text : null, ctx) });
    }
    return { set: { name: root || ".", framework: "flyway", root, files: migrationFiles }, problems };
  },
};

// executeInTransaction defaults to true; a script configuration file <script>.sql.conf can turn it off,
// and Flyway turns it off by itself for scripts holding a statement PostgreSQL refuses in a transaction.
async function flywayRunsInTransaction(path: string, text: string | null, ctx: DiscoverContext): Promise<boolean> {
  const confPath = `${path}.conf`;
  if (ctx.fileSet.has(confPath)) {
    const conf = await readText(ctx, confPath);
    const setting = conf ? /^\s*executeInTransaction\s*=\s*(\w+)/m.exec(conf) : null;
    if (setting) return setting[1].toLowerCase() !== "false";
  }
  if (text === null) return true;
  const script = prepareScript(text);
  for (const span of script.spans) {
    const simplified = script.text
      .slice(span.start, Math.min(span.end, span.start + 400))
      .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ")
      .replace(/\s+/g, " ")
      .trim()
      .toUpperCase();
    if (NON_TRANSACTIONAL.some((re) => re.test(simplified))) return false;
  }
  return true;
}

