import { describe, expect, it } from "vitest";
import type { TextReader } from "../../src/audit.js";
import type { MigrationSet } from "../../src/core/types.js";
import { selectQueryFiles, sqlContent } from "../../src/queries/select-files.js";
import { config, setOf } from "./helpers.js";

/** A reader over an in-memory tree; a missing path reads as empty text. */
function readerOf(texts: Record<string, string | null>): TextReader {
  return async (path) => {
    const text = texts[path];
    return text === null ? { ok: false, reason: "binary file (contains NUL bytes)" } : { ok: true, text: text ?? "" };
  };
}

async function select(texts: Record<string, string | null>, sets: MigrationSet[] = [], overrides = {}) {
  return selectQueryFiles(Object.keys(texts), config(overrides), sets, readerOf(texts));
}

const SELECT = "SELECT id FROM users WHERE email = $1;\n";
const DDL = "CREATE TABLE users (id uuid PRIMARY KEY, email text);\nCREATE INDEX users_email ON users (email);\n";

describe("choosing the files that hold queries", () => {
  it("takes code files and leaves out tests, seed scripts, build output, vendored code and declaration files", async () => {
    const code = [
      "src/a.ts", "src/b.tsx", "lib/c.mjs", "lib/d.cjs", "lib/e.jsx", "lib/f.mts", "lib/g.cts", "types/h.d.ts",
      "src/a.test.ts", "src/__tests__/x.ts", "test/y.ts", "e2e/z.ts", "node_modules/p/index.js", "dist/app.js",
      ".next/server.js", "vendor/lib.js", "build/out.js", "README.md",
      "packages/db/seed/users.ts", "prisma/seed.ts", "db/seeds/demo.js", "src/seedling.ts",
      "web/src/__e2e__/tenants.ts", "web/src/orgs.servertest.ts", "web/src/orgs.clienttest.tsx", "web/src/flow.e2e.ts", "src/latest.ts",
    ];
    const selected = await select(Object.fromEntries(code.map((p) => [p, ""])));
    expect(selected.code).toEqual(["src/a.ts", "src/b.tsx", "lib/c.mjs", "lib/d.cjs", "lib/e.jsx", "lib/f.mts", "lib/g.cts", "src/seedling.ts", "src/latest.ts"]);
    expect(selected.sql).toEqual([]);
  });

  it("a .sql file of a migration set is a migration whatever its name says", async () => {
    const selected = await select(
      {
        "upgrade/0001.schema.sql": DDL,
        "upgrade/0002.schema.query-note.sql": "ALTER TABLE users ADD COLUMN note text;\nUPDATE users SET note = '';\n",
        "upgrade/0003.queries.sql": SELECT,
        "queries/users.sql": SELECT,
      },
      [setOf("upgrade", ["upgrade/0001.schema.sql", "upgrade/0002.schema.query-note.sql"])],
    );
    // 0003 is not applied by the set, but it sits among its migrations: still not a query file.
    expect(selected.sql).toEqual(["queries/users.sql"]);
  });

  it("files a framework keeps beside its migrations (down, revert, verify scripts) are not query files", async () => {
    const set: MigrationSet = { ...setOf("", ["deploy/users.sql"]), framework: "sqitch", companions: ["verify/users.sql", "revert/users.sql"] };
    const selected = await select(
      { "deploy/users.sql": DDL, "verify/users.sql": "SELECT id, email FROM users WHERE false;\n", "revert/users.sql": "DROP TABLE users;\n" },
      [set],
    );
    expect(selected.sql).toEqual([]);
  });

  it("elsewhere, a .sql file is a query file by its folder or by holding queries, never by its name", async () => {
    const selected = await select({
      "queries/users.sql": SELECT,
      "db/query/report.sql": "-- name: Report :many\nSELECT count(*) FROM users;\n",
      "db/sql/report.sql": "WITH recent AS (SELECT * FROM users) SELECT id FROM recent;\n",
      "db/get_user.query.sql": SELECT,
      "reports/annotated.sql": "/* @name GetUser */\nSELECT * FROM users WHERE id = :id;\n",
      // DDL, even named like a query file, and rows to load are not queries.
      "db/schema/query_tables.sql": DDL,
      "db/mixed.sql": DDL + SELECT,
      "db/seed.sql": "INSERT INTO users (id, email) VALUES ('a', 'b');\nINSERT INTO users (id, email) VALUES ('c', 'd');\n",
      "db/backfill.sql": "INSERT INTO users (id, email) SELECT id, email FROM old_users WHERE email IS NOT NULL;\n",
      "db/migrations/002.sql": SELECT,
      "docs/empty.sql": "-- nothing\n",
    });
    expect(selected.sql).toEqual(["queries/users.sql", "db/query/report.sql", "db/sql/report.sql", "db/get_user.query.sql", "reports/annotated.sql", "db/backfill.sql"]);
  });

  it("a .sql file that cannot be read is kept (to be reported) only where it could hold queries", async () => {
    const selected = await select({ "queries/broken.sql": null, "assets/data.sql": null });
    expect(selected.sql).toEqual(["queries/broken.sql"]);
  });

  it("with code.paths, reads only under those folders (tests included), minus code.exclude", async () => {
    const selected = await select(
      { "apps/server/a.ts": "", "apps/server/a.test.ts": "", "apps/server/gen/x.ts": "", "apps/web/b.ts": "", "packages/db/c.sql": DDL + SELECT, "packages/db/d.sql": DDL },
      [],
      { code: { paths: ["apps/server", "packages/db"], exclude: ["apps/server/gen/**"] } },
    );
    expect(selected.code).toEqual(["apps/server/a.ts", "apps/server/a.test.ts"]);
    expect(selected.sql).toEqual(["packages/db/c.sql"]);
  });

  it("judges statements by their first word, past EXPLAIN and PREPARE, comments and strings", () => {
    expect(sqlContent("-- CREATE TABLE in a comment\nEXPLAIN ANALYZE SELECT 1;\nPREPARE q (int) AS UPDATE t SET a = $1;\nSELECT ';CREATE TABLE x()';\n")).toEqual({
      queries: 3,
      dataLoads: 0,
      ddl: 0,
      annotated: false,
    });
    expect(sqlContent("BEGIN;\nCOPY users FROM stdin;\na\tb\n\\.\nCOMMIT;\n")).toMatchObject({ queries: 0, dataLoads: 1, ddl: 0 });
  });
});
