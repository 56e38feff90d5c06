// PostgreSQL 18 in WebAssembly, the oracle of the catalog and planner tests.
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { initParser } from "../../src/sql/parser.js";

/**
 * A PGlite instance ready for queries, with the parser the code under test needs loaded too. pg_trgm is
 * available (`CREATE EXTENSION pg_trgm` succeeds), as on hosted PostgreSQL; this PGlite has no pgvector.
 */
export async function startPGlite(): Promise<PGlite> {
  await initParser();
  const db = new PGlite({ extensions: { pg_trgm } });
  await db.waitReady;
  return db;
}
