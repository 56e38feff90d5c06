// PostgreSQL 18 in WebAssembly, the oracle of the catalog and planner tests.
import { PGlite } from "@electric-sql/pglite";
import { initParser } from "../../src/sql/parser.js";

/** A PGlite instance ready for queries, with the parser the code under test needs loaded too. */
export async function startPGlite(): Promise<PGlite> {
  await initParser();
  const db = new PGlite();
  await db.waitReady;
  return db;
}
