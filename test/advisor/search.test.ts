// Operator searches: pg_trgm clauses and orderings, checked against the planner (PGlite, PostgreSQL 18,
// pg_trgm loaded; generic plans for bound parameters, enable_seqscan off), and pgvector distance orders,
// checked against the operator classes pgvector documents (this PGlite has no pgvector build).
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchPattern } from "../../src/advisor/match.js";
import { adviseTable } from "../../src/advisor/recommend.js";
import type { AccessPattern, Schema } from "../../src/core/types.js";
import { findTable } from "../../src/schema/lookup.js";
import { parseSql } from "../../src/sql/parser.js";
import { patternsFromStatement } from "../../src/queries/sql-patterns.js";
import { resetDatabase } from "../schema/catalog.js";
import { startPGlite } from "../support/pglite.js";
import { schemaFrom } from "./support/schema.js";

let db: PGlite;
beforeAll(async () => {
  db = await startPGlite();
}, 60_000);
afterAll(() => db.close());

const TABLE = "CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, handle varchar(40), tenant_id bigint);";

function patternOf(sql: string): AccessPattern {
  const outcome = parseSql(sql);
  if (!outcome.ok) throw new Error(outcome.message);
  const [p] = patternsFromStatement(outcome.statements[0].ast, { source: "sql-in-code", location: { file: "src/q.ts", line: 1, column: 1 } });
  return p;
}

/** Replays the migrations, then reads the generic plan of the query (parameters typed text) with seqscan off. */
async function plan(migrations: string, query: string, extra = ""): Promise<string> {
  await resetDatabase(db);
  await db.exec(migrations);
  // The fix's statements one at a time, as psql runs them: CONCURRENTLY refuses a transaction block.
  for (const statement of extra.split("\n").filter(Boolean)) await db.exec(statement);
  await db.exec("set enable_seqscan = off; set plan_cache_mode = force_generic_plan; deallocate all");
  const params = (query.match(/\$\d/g) ?? []).length;
  await db.exec(`prepare q${params ? `(${Array(params).fill("text").join(", ")})` : ""} as ${query}`);
  const rows = await db.query<{ "QUERY PLAN": string }>(`explain execute q${params ? `(${Array(params).fill("'abc'").join(", ")})` : ""}`);
  await db.exec("deallocate all; reset all");
  return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
}

function usesIndex(explain: string, name: string): boolean {
  return new RegExp(`(Index Scan|Index Only Scan|Bitmap Index Scan) (using |on )${name}\\b`).test(explain);
}

function verdictOf(schema: Schema, query: string) {
  const table = findTable(schema, "people")!;
  return matchPattern(table, patternOf(query));
}

describe("pg_trgm: an existing trigram index serves LIKE, ILIKE, regular expressions and similarity", () => {
  const queries = [
    "SELECT * FROM people WHERE name LIKE $1",
    "SELECT * FROM people WHERE name ILIKE $1",
    "SELECT * FROM people WHERE name ILIKE '%ann%'",
    "SELECT * FROM people WHERE name ~* $1",
    "SELECT * FROM people WHERE name % $1",
    "SELECT * FROM people WHERE $1 <% name",
    "SELECT * FROM people WHERE $1 <<% name",
  ];
  for (const method of ["gin", "gist"] as const) {
    const migrations = `CREATE EXTENSION IF NOT EXISTS pg_trgm; ${TABLE} CREATE INDEX people_name_trgm ON people USING ${method} (name ${method}_trgm_ops);`;
    it.each(queries)(`${method}: %s is served, as the planner uses the index`, async (query) => {
      const explain = await plan(migrations, query);
      expect(usesIndex(explain, "people_name_trgm"), explain).toBe(true);
      const m = verdictOf(schemaFrom(migrations), query);
      expect(m.verdict).toBe("served");
      const advice = adviseTable(findTable(schemaFrom(migrations), "people")!, [patternOf(query)]);
      expect(advice.recommendations).toEqual([]);
    });
  }

  it.each([
    "SELECT * FROM people WHERE similarity(name, $1) > 0.3",
    "SELECT * FROM people WHERE word_similarity($1, name) > 0.3",
    "SELECT * FROM people WHERE name !~ $1",
    "SELECT * FROM people WHERE name NOT ILIKE $1",
  ])("%s is served by no trigram index, and the matcher says so", async (query) => {
    const migrations = `CREATE EXTENSION IF NOT EXISTS pg_trgm; ${TABLE} CREATE INDEX people_name_trgm ON people USING gin (name gin_trgm_ops);`;
    const explain = await plan(migrations, query);
    expect(usesIndex(explain, "people_name_trgm"), explain).toBe(false);
    expect(verdictOf(schemaFrom(migrations), query).verdict).toBe("not-served");
  });

  it("a GiST trigram index returns rows in `<->` order for ORDER BY ... LIMIT; a GIN one does not", async () => {
    const query = "SELECT * FROM people ORDER BY name <-> $1 LIMIT 10";
    for (const [method, served] of [["gist", true], ["gin", false]] as const) {
      const migrations = `CREATE EXTENSION IF NOT EXISTS pg_trgm; ${TABLE} CREATE INDEX people_name_trgm ON people USING ${method} (name ${method}_trgm_ops);`;
      const explain = await plan(migrations, query);
      expect(usesIndex(explain, "people_name_trgm"), explain).toBe(served);
      expect(verdictOf(schemaFrom(migrations), query).verdict).toBe(served ? "served" : "not-served");
    }
  });
});

describe("pg_trgm: with no trigram index, the fix is a GIN (gin_trgm_ops) index the planner uses, never a btree", () => {
  it.each([
    ["SELECT * FROM people WHERE name ILIKE $1", "name"],
    ["SELECT * FROM people WHERE handle LIKE '%ann%'", "handle"],
    ["SELECT * FROM people WHERE name % $1", "name"],
    ["SELECT * FROM people WHERE lower(name) LIKE $1", "lower(name)"],
  ])("%s", async (query, key) => {
    for (const withExtension of [true, false]) {
      const migrations = `${withExtension ? "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE TABLE tags (t text); CREATE INDEX tags_t ON tags USING gin (t gin_trgm_ops); " : ""}${TABLE}`;
      const schema = schemaFrom(migrations);
      const advice = adviseTable(findTable(schema, "people")!, [patternOf(query)], { schema });
      expect(advice.recommendations).toHaveLength(1);
      const rec = advice.recommendations[0];
      expect(rec.sql).toContain("USING gin");
      expect(rec.sql).toContain(`${key.includes("(") ? `(${key})` : key} gin_trgm_ops`);
      // The extension is created by the fix only when nothing in the migrations shows it installed.
      expect(rec.sql.includes("CREATE EXTENSION IF NOT EXISTS pg_trgm;")).toBe(!withExtension);
      expect(rec.reasons.some((r) => r.includes("never create the pg_trgm extension"))).toBe(!withExtension);
      const explain = await plan(migrations, query, rec.sql);
      expect(usesIndex(explain, rec.name), `${rec.sql}\n${explain}`).toBe(true);
    }
  });

  it("a fix that creates pg_trgm builds the index CONCURRENTLY in a later migration of its own: each migration runs as one script", async () => {
    const schema = schemaFrom(TABLE);
    const [rec] = adviseTable(findTable(schema, "people")!, [patternOf("SELECT * FROM people WHERE name ILIKE $1")], { schema }).recommendations;
    const migrations = rec.sql.split(/^-- A later migration of its own.*$/m).map((m) => m.trim());
    expect(migrations).toEqual(["CREATE EXTENSION IF NOT EXISTS pg_trgm;", expect.stringMatching(/^CREATE INDEX CONCURRENTLY IF NOT EXISTS \S+ ON people USING gin \(name gin_trgm_ops\);$/)]);
    expect(rec.reasons.join(" ")).toContain("a migration of several statements runs as one transaction, where CREATE INDEX CONCURRENTLY fails");
    await resetDatabase(db);
    await db.exec(TABLE);
    // Sent as one script, the two statements form one transaction block, which CONCURRENTLY refuses.
    await expect(db.exec(migrations.join("\n"))).rejects.toThrow(/CREATE INDEX CONCURRENTLY cannot run inside a transaction block/);
    for (const migration of migrations) await db.exec(migration);
    const built = await db.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE tablename = 'people' AND indexname = $1", [rec.name]);
    expect(built.rows).toHaveLength(1);
  });

  it("ORDER BY name <-> $1 LIMIT k gets a GiST gist_trgm_ops index, which the planner walks in distance order", async () => {
    const query = "SELECT * FROM people ORDER BY name <-> $1 LIMIT 10";
    const migrations = `CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE TABLE tags (t text); CREATE INDEX tags_t ON tags USING gist (t gist_trgm_ops); ${TABLE}`;
    const schema = schemaFrom(migrations);
    const [rec] = adviseTable(findTable(schema, "people")!, [patternOf(query)], { schema }).recommendations;
    expect(rec.sql).toMatch(/USING gist \(name gist_trgm_ops\)/);
    const explain = await plan(migrations, query, rec.sql);
    expect(usesIndex(explain, rec.name), explain).toBe(true);
  });

  it("a literal pattern with no three letters or digits in a row has no trigram: no index is advised, and the planner ignores one", async () => {
    for (const query of ["SELECT * FROM people WHERE handle ILIKE '%@%'", "SELECT * FROM people WHERE handle LIKE '%ab%'"]) {
      const schema = schemaFrom(TABLE);
      expect(adviseTable(findTable(schema, "people")!, [patternOf(query)], { schema }).recommendations, query).toEqual([]);
      // With rows and statistics, and sequential scans allowed, PostgreSQL keeps its sequential scan.
      await resetDatabase(db);
      await db.exec(`CREATE EXTENSION IF NOT EXISTS pg_trgm; ${TABLE} CREATE INDEX people_handle_trgm ON people USING gin (handle gin_trgm_ops);
        INSERT INTO people SELECT g, 'name ' || g, 'user' || g || '@example.com' FROM generate_series(1, 20000) g; ANALYZE people;`);
      const explain = (await db.query<{ "QUERY PLAN": string }>(`EXPLAIN ${query}`)).rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(usesIndex(explain, "people_handle_trgm"), `${query}\n${explain}`).toBe(false);
    }
  });

  it("a literal LIKE 'abc%' keeps its btree advice (text_pattern_ops)", () => {
    const schema = schemaFrom(TABLE);
    const [rec] = adviseTable(findTable(schema, "people")!, [patternOf("SELECT * FROM people WHERE name LIKE 'ann%'")], { schema }).recommendations;
    expect(rec.sql).toContain("text_pattern_ops");
    expect(rec.sql).not.toContain("USING gin");
  });
});

describe("pgvector distance orders, against the operator classes pgvector documents", () => {
  // pgvector README, "Indexing": HNSW and IVFFlat with vector_l2_ops (<->), vector_ip_ops (<#>),
  // vector_cosine_ops (<=>); HNSW also vector_l1_ops (<+>) and sparsevec_*; halfvec_* for halfvec.
  // The model reads these column types from the migrations without running them.
  const docs = "CREATE TABLE docs (id bigint PRIMARY KEY, tenant_id bigint, embedding vector(3), half halfvec(3), sparse sparsevec(3));";
  const docsMatch = (indexes: string, query: string) => {
    const schema = schemaFrom(docs + indexes);
    const outcome = parseSql(query);
    if (!outcome.ok) throw new Error(outcome.message);
    const [p] = patternsFromStatement(outcome.statements[0].ast, { source: "sql-in-code", location: { file: "src/q.ts", line: 1, column: 1 } });
    const table = findTable(schema, "docs")!;
    return { table, p, schema, match: matchPattern(table, p) };
  };

  it.each([
    ["hnsw (embedding vector_cosine_ops)", "embedding <=> $1", "served"],
    ["hnsw (embedding vector_l2_ops)", "embedding <-> $1", "served"],
    ["hnsw (embedding vector_ip_ops)", "embedding <#> $1", "served"],
    ["hnsw (embedding vector_l1_ops)", "embedding <+> $1", "served"],
    ["ivfflat (embedding vector_cosine_ops)", "embedding <=> $1", "served"],
    ["hnsw (half halfvec_cosine_ops)", "half <=> $1", "served"],
    ["hnsw (sparse sparsevec_l2_ops)", "sparse <-> $1", "served"],
    ["hnsw (embedding vector_l2_ops)", "embedding <=> $1", "not-served"],
    ["ivfflat (embedding vector_ip_ops)", "embedding <=> $1", "not-served"],
    ["btree (embedding)", "embedding <=> $1", "not-served"],
  ])("USING %s for ORDER BY %s LIMIT 5: %s", (index, order, verdict) => {
    const { match } = docsMatch(` CREATE INDEX docs_vec ON docs USING ${index};`, `SELECT id FROM docs ORDER BY ${order} LIMIT 5`);
    expect(match.verdict).toBe(verdict);
  });

  it("without a LIMIT the nearest-neighbour index is not used (pgvector: ORDER BY and LIMIT)", () => {
    const { match } = docsMatch(" CREATE INDEX docs_vec ON docs USING hnsw (embedding vector_cosine_ops);", "SELECT id FROM docs ORDER BY embedding <=> $1");
    expect(match.verdict).toBe("not-served");
  });

  it.each([
    ["embedding <=> $1", "USING hnsw (embedding vector_cosine_ops)"],
    ["embedding <-> $1", "USING hnsw (embedding vector_l2_ops)"],
    ["$1 <#> embedding", "USING hnsw (embedding vector_ip_ops)"],
    ["half <=> $1", "USING hnsw (half halfvec_cosine_ops)"],
  ])("ORDER BY %s LIMIT 5 with no index: the fix is %s, never a btree over the expression", (order, expected) => {
    const { table, p, schema } = docsMatch("", `SELECT id FROM docs ORDER BY ${order} LIMIT 5`);
    const advice = adviseTable(table, [p], { schema });
    expect(advice.recommendations).toHaveLength(1);
    const [rec] = advice.recommendations;
    expect(rec.sql).toContain(expected);
    expect(rec.sql).not.toContain("CREATE EXTENSION");
    // The recommended index serves the query, as the matcher reads pgvector's operator classes.
    expect(matchPattern(table, p, [rec.index]).verdict).toBe("served");
  });

  it("a filter no btree key bounds (IS NOT NULL) leaves the distance order to an HNSW index, not a btree over the filter column", () => {
    const { table, p, schema } = docsMatch("", "SELECT id FROM docs WHERE tenant_id IS NOT NULL ORDER BY embedding <=> $1 LIMIT 5");
    const recs = adviseTable(table, [p], { schema }).recommendations;
    expect(recs.map((r) => r.sql)).toEqual([expect.stringMatching(/^CREATE INDEX CONCURRENTLY IF NOT EXISTS \S+ ON docs USING hnsw \(embedding vector_cosine_ops\);$/)]);
  });

  it("a query variable in the distance (a PL/pgSQL argument) is a value: the fix keys the column, not an expression over the variable", () => {
    const outcome = parseSql("SELECT id FROM docs ORDER BY embedding <=> q LIMIT 5");
    if (!outcome.ok) throw new Error(outcome.message);
    const [p] = patternsFromStatement(outcome.statements[0].ast, { source: "plpgsql", location: { file: "m.sql", line: 1, column: 1 }, variables: new Set(["q"]) });
    const schema = schemaFrom(docs);
    const [rec] = adviseTable(findTable(schema, "docs")!, [p], { schema }).recommendations;
    expect(rec.sql).toMatch(/USING hnsw \(embedding vector_cosine_ops\);$/);
  });
});
