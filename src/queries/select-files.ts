// Which files hold the application's queries. A file is one by where it is and what it holds, never by
// a word in its name: a .sql file of a migration set is a migration whatever it is called, and a .sql
// file elsewhere is a query file when it sits in a queries folder or holds queries and no DDL.
import type { TextReader } from "../source/source.js";
import type { AuditConfig } from "../core/config.js";
import type { MigrationSet } from "../core/types.js";
import { prepareScript } from "../migrations/script.js";

const CODE_EXTENSIONS = /\.(ts|tsx|js|jsx|mjs|cjs|mts|cts)$/;
const DECLARATION_FILE = /\.d\.[cm]?ts$/;
/** Build output, dependencies and vendored code are not the application's own queries. */
const IGNORED_FOLDERS = /(^|\/)(node_modules|dist|build|out|\.next|\.nuxt|\.svelte-kit|\.turbo|\.vercel|coverage|vendor|\.git)\//;
/**
 * Tests, specs, fixtures, mocks and seed scripts are left out by default: their queries exercise code or
 * fill a development database rather than describe how production reads it. `code.paths` in the config
 * brings them back.
 */
const TEST_FILES = /(^|\/)(__tests__|__mocks__|__e2e__|tests?|spec|fixtures?|e2e|cypress|playwright|seeds?|seeders?)\/|\.(test|spec|stories|servertest|clienttest|e2e)\.[cm]?[jt]sx?$|(^|\/)seed\.[cm]?[jt]s$/;
/** A folder named for migrations holds migrations, even one no framework layout was recognised in. */
const MIGRATION_FOLDER = /(^|\/)migrations?\//i;
/** Folders where sqlc, pgtyped and similar tools keep hand-written queries. */
const QUERY_FOLDER = /(^|\/)quer(y|ies)\//i;
/** sqlc (`-- name: GetUser :one`) and pgtyped (`/* @name GetUser *\/`) annotations. */
const ANNOTATION = /--\s*name:\s*\w+\s+:\w+|\/\*\s*@name\s+\w+/;

/** Statements that read or write rows: what the extractors turn into access patterns. */
const QUERY_WORDS = new Set(["select", "insert", "update", "delete", "with", "merge", "values", "table"]);
/** Statements that define or change the schema, or its privileges: a file of these is schema, not queries. */
const DDL_WORDS = new Set(["create", "alter", "drop", "comment", "grant", "revoke", "truncate", "reindex", "cluster", "do", "security", "import"]);

export interface SelectedFiles {
  code: string[];
  sql: string[];
}

/** What a .sql file's statements are, read by their first word (no parse, so a broken file is still judged). */
export interface SqlContent {
  /** SELECT, INSERT, UPDATE, DELETE, MERGE, WITH, VALUES, TABLE statements (also behind EXPLAIN or PREPARE). */
  queries: number;
  /** Statements that are only rows being loaded: INSERT ... VALUES without a SELECT, and COPY. */
  dataLoads: number;
  /** CREATE, ALTER, DROP, COMMENT, GRANT, REVOKE, TRUNCATE, DO and the like. */
  ddl: number;
  /** Carries sqlc or pgtyped query annotations. */
  annotated: boolean;
}

export function sqlContent(text: string): SqlContent {
  const script = prepareScript(text);
  const content: SqlContent = { queries: 0, dataLoads: 0, ddl: 0, annotated: ANNOTATION.test(text) };
  for (const span of script.spans) {
    const statement = withoutComments(script.text.slice(span.start, span.end));
    const words: string[] = statement.toLowerCase().match(/[a-z_]+/g) ?? [];
    let k = 0;
    // EXPLAIN [ANALYZE ...] <query>, PREPARE name [(types)] AS <query>: the query is what counts.
    if (words[0] === "explain") k = words.findIndex((w, i) => i > 0 && QUERY_WORDS.has(w));
    else if (words[0] === "prepare") k = words.indexOf("as") + 1;
    const first = k >= 0 ? words[k] : undefined;
    if (first === "copy") content.dataLoads++;
    else if (first && QUERY_WORDS.has(first)) {
      content.queries++;
      if (first === "insert" && !/\b(select|with)\b/i.test(withoutLiterals(statement))) content.dataLoads++;
    } else if (first && DDL_WORDS.has(first)) content.ddl++;
  }
  return content;
}

/**
 * The files that hold queries: code files, and `.sql` files that are not migrations and that sit in a
 * queries folder (or under `code.paths`) and hold a query, or hold queries and no DDL anywhere else.
 * A file of nothing but rows to load (seed data) is not queries; neither is a schema file.
 *
 * `sets` are the discovered migration sets: their files and companions (down, revert, verify scripts,
 * files beside the migrations the framework skips) are never query files. `.sql` files are read here to
 * judge them; one that cannot be read is kept only where it could hold queries, so that its reader
 * reports it, and dropped silently elsewhere.
 */
export async function selectQueryFiles(files: string[], config: AuditConfig, sets: MigrationSet[], read: TextReader): Promise<SelectedFiles> {
  const code: string[] = [];
  const sql: string[] = [];
  const configured = config.code.paths.length > 0;
  const migrationFiles = new Set<string>();
  const migrationFolders = new Set<string>();
  for (const set of sets) {
    for (const file of set.files) {
      migrationFiles.add(file.path);
      // A dump's folder holds other things; a migration folder holds migrations.
      if (set.framework !== "schema-dump") migrationFolders.add(folderOf(file.path));
    }
    for (const path of set.companions ?? []) migrationFiles.add(path);
  }
  for (const path of files) {
    if (migrationFiles.has(path) || IGNORED_FOLDERS.test(path)) continue;
    if (excluded(path, config.code.exclude)) continue;
    if (configured ? !underAny(path, config.code.paths) : TEST_FILES.test(path)) continue;
    if (CODE_EXTENSIONS.test(path) && !DECLARATION_FILE.test(path)) code.push(path);
    else if (path.toLowerCase().endsWith(".sql")) {
      if (migrationFolders.has(folderOf(path)) || MIGRATION_FOLDER.test(path)) continue;
      const byPlace = configured || QUERY_FOLDER.test(path);
      const text = await read(path);
      if (!text.ok) {
        if (byPlace) sql.push(path);
        continue;
      }
      const content = sqlContent(text.text);
      const holdsQueries = content.annotated || (content.queries > 0 && (byPlace || (content.ddl === 0 && content.dataLoads < content.queries)));
      if (holdsQueries) sql.push(path);
    }
  }
  return { code, sql };
}

function folderOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "" : path.slice(0, i);
}

function underAny(path: string, folders: string[]): boolean {
  return folders.some((folder) => {
    const f = folder.replace(/^\.\//, "").replace(/\/+$/, "");
    return f === "" || f === "." || path === f || path.startsWith(`${f}/`);
  });
}

/** A glob (`**`, `*`, `?`) or a folder prefix, as `code.exclude` takes them. */
function excluded(path: string, patterns: string[]): boolean {
  return patterns.some((pattern) => {
    if (!/[*?]/.test(pattern)) return underAny(path, [pattern]);
    const regex = pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*\*\//g, "\u0000")
      .replace(/\*\*/g, "\u0001")
      .replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]")
      .replace(/\u0000/g, "(?:.*/)?")
      .replace(/\u0001/g, ".*");
    return new RegExp(`^${regex}$`).test(path) || new RegExp(`^${regex}/`).test(path);
  });
}

function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ");
}

function withoutLiterals(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\w*)\$[\s\S]*?\$\1\$/g, " ");
}
