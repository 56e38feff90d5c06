// PostgreSQL 18 in WebAssembly, the oracle of the catalog and planner tests.
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { afterAll, beforeAll } from "vitest";
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

/**
 * One PGlite for a test file: started before its tests (up to 60 s allowed), closed after them. Call it at
 * the top level of the file; the function it returns gives the instance inside the tests.
 */
export function pgliteForFile(): () => PGlite {
  let db: PGlite | undefined;
  beforeAll(async () => {
    db = await startPGlite();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });
  return () => {
    if (!db) throw new Error("PGlite is not started yet");
    return db;
  };
}
