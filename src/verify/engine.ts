// The in-process PostgreSQL the verify stage plans with: PGlite (PostgreSQL 18 in WebAssembly),
// booted with the contrib extensions the migrations ask for. PGlite loads an extension's files only
// when it is named in the `extensions` option at construction, so the migrations are read first.
import type { PGlite } from "@electric-sql/pglite";
import type { Statement } from "../core/types.js";

/**
 * Extensions PGlite ships (the `@electric-sql/pglite/contrib/*` exports), by the name `CREATE EXTENSION`
 * uses, with the module and export that load each. plpgsql is built in.
 */
const SHIPPED: Record<string, { module: string; export: string }> = {
  amcheck: { module: "amcheck", export: "amcheck" },
  bloom: { module: "bloom", export: "bloom" },
  btree_gin: { module: "btree_gin", export: "btree_gin" },
  btree_gist: { module: "btree_gist", export: "btree_gist" },
  citext: { module: "citext", export: "citext" },
  cube: { module: "cube", export: "cube" },
  earthdistance: { module: "earthdistance", export: "earthdistance" },
  fuzzystrmatch: { module: "fuzzystrmatch", export: "fuzzystrmatch" },
  hstore: { module: "hstore", export: "hstore" },
  intarray: { module: "intarray", export: "intarray" },
  isn: { module: "isn", export: "isn" },
  lo: { module: "lo", export: "lo" },
  ltree: { module: "ltree", export: "ltree" },
  moddatetime: { module: "moddatetime", export: "moddatetime" },
  pg_trgm: { module: "pg_trgm", export: "pg_trgm" },
  pgcrypto: { module: "pgcrypto", export: "pgcrypto" },
  seg: { module: "seg", export: "seg" },
  tablefunc: { module: "tablefunc", export: "tablefunc" },
  tcn: { module: "tcn", export: "tcn" },
  unaccent: { module: "unaccent", export: "unaccent" },
  "uuid-ossp": { module: "uuid_ossp", export: "uuid_ossp" },
};

/** True when PGlite ships the extension (`CREATE EXTENSION name` can run for real). */
export function shipsExtension(name: string): boolean {
  return Object.hasOwn(SHIPPED, name) || name === "plpgsql";
}

/** Extension names the statements create, as written in `CREATE EXTENSION` (lower case). */
export function extensionsNamed(statements: readonly Statement[]): string[] {
  const names = new Set<string>();
  for (const s of statements) {
    const name = s.ast.CreateExtensionStmt?.extname;
    if (typeof name === "string") names.add(name.toLowerCase());
  }
  return [...names];
}

/**
 * Boots PGlite with the shipped extensions among `wanted` (others are left to stand-ins). Resolves
 * once the server is ready. Throws only when PGlite itself cannot start.
 */
export async function startEngine(wanted: readonly string[]): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  const extensions: Record<string, unknown> = {};
  for (const name of wanted) {
    const entry = SHIPPED[name];
    if (!entry) continue;
    const mod = (await import(`@electric-sql/pglite/contrib/${entry.module}`)) as Record<string, unknown>;
    extensions[entry.export] = mod[entry.export];
  }
  const db = new PGlite({ extensions: extensions as never });
  await db.waitReady;
  return db;
}
