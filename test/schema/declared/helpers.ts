// Reading the declared-schema fixtures from disk, and running DDL in PGlite statement by statement.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { DdlPiece } from "../../../src/schema/declared/ddl.js";

export const FIXTURES = join(import.meta.dirname, "../../fixtures/declared");

/** Every file of a fixture, relative to it, with its text. */
export function fixtureFiles(name: string): Array<{ path: string; text: string }> {
  const root = join(FIXTURES, name);
  const out: Array<{ path: string; text: string }> = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else out.push({ path: relative(root, full).split("\\").join("/"), text: readFileSync(full, "utf8") });
    }
  };
  walk(root);
  return out;
}

export function fixtureText(name: string, path: string): string {
  return readFileSync(join(FIXTURES, name, path), "utf8");
}

/** Runs each piece; a refusal names the declaring line. */
export async function execPieces(db: PGlite, pieces: DdlPiece[]): Promise<void> {
  for (const piece of pieces) {
    try {
      await db.exec(piece.sql);
    } catch (error) {
      throw new Error(`${piece.location.file}:${piece.location.line}: PostgreSQL refused ${piece.sql}: ${(error as Error).message}`);
    }
  }
}
