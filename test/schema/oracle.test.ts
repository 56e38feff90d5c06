// The replayed model against PostgreSQL's own catalog (PGlite, PostgreSQL 18): every fixture's
// tables, columns, primary keys, foreign keys, indexes (names, keys, predicates, constraints)
// and CHECK / NOT NULL constraint names must be what the server built from the same SQL.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replaySchema } from "../../src/schema/replay.js";
import { comparableCatalog, comparableCatalogViews, comparableModel, comparableModelViews, resetDatabase } from "./catalog.js";
import { sqlToStatements } from "./helpers.js";
import { startPGlite } from "../support/pglite.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/ddl");
const EXAMPLE_MIGRATIONS = join(import.meta.dirname, "../../examples/supabase-app/supabase/migrations");

// What the model replays; anything else the server may refuse here (pg_cron, roles) without changing the answer.
const MODELLED_STATEMENTS = new Set([
  "CreateStmt",
  "AlterTableStmt",
  "IndexStmt",
  "DropStmt",
  "RenameStmt",
  "AlterObjectSchemaStmt",
  "CreateSchemaStmt",
  "ViewStmt",
  "CreateTableAsStmt",
]);
const fixtureFiles = readdirSync(FIXTURES).filter((f) => f.endsWith(".sql")).sort();

let db: PGlite;

beforeAll(async () => {
  db = await startPGlite();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe("schema replay agrees with the PostgreSQL catalog", () => {
  it("has a corpus of at least 15 DDL fixtures", () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(15);
  });

  for (const file of fixtureFiles) {
    it(file, async () => {
      await resetDatabase(db);
      const sql = readFileSync(join(FIXTURES, file), "utf8");
      const statements = sqlToStatements(sql, file);
      for (const statement of statements) {
        try {
          await db.exec(statement.sql);
        } catch (error) {
          throw new Error(`${file}:${statement.location.line}: the server rejected the fixture: ${(error as Error).message}`);
        }
      }
      const schema = replaySchema(statements);
      const catalog = await comparableCatalog(db);
      expect(comparableModel(schema)).toEqual(catalog);
      expect(comparableModelViews(schema)).toEqual(await comparableCatalogViews(db, schema));
    });
  }
});

describe("the example repository's migrations", () => {
  it("examples/supabase-app/supabase/migrations replays to what PostgreSQL builds", async () => {
    expect(existsSync(EXAMPLE_MIGRATIONS), `${EXAMPLE_MIGRATIONS} is missing`).toBe(true);
    const files = readdirSync(EXAMPLE_MIGRATIONS).filter((f) => f.endsWith(".sql")).sort();
    expect(files.length).toBeGreaterThan(0);
    await resetDatabase(db);
    // Supabase projects reference auth.users, which the platform creates outside the migrations.
    await db.exec("create schema auth; create table auth.users (id uuid primary key, email text)");
    const statements = files.flatMap((file, order) =>
      sqlToStatements(readFileSync(join(EXAMPLE_MIGRATIONS, file), "utf8"), `supabase/migrations/${file}`, order),
    );
    for (const statement of statements) {
      try {
        await db.exec(statement.sql);
      } catch (error) {
        const kind = Object.keys(statement.ast)[0];
        if (MODELLED_STATEMENTS.has(kind)) {
          throw new Error(`${statement.location.file}:${statement.location.line}: the server rejected it: ${(error as Error).message}`);
        }
      }
    }
    const model = comparableModel(replaySchema(statements));
    expect(model.length).toBeGreaterThan(0);
    expect(model).toEqual(await comparableCatalog(db, new Set(["auth.users"])));
  });
});
