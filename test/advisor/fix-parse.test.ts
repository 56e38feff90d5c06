// parseFixTexts() parses many fix texts in one call to the parser: each text must get back exactly the
// statements PostgreSQL's parser gives it alone (parse trees compared without their positions), or null where
// the parser refuses it alone, including texts whose joined parse would run one into the next.
import { beforeAll, describe, expect, it } from "vitest";
import { keepingFixParses, parseFixStatements, parseFixTexts } from "../../src/advisor/fix-parse.js";
import { deparseNode, initParser, parseSql } from "../../src/sql/parser.js";

function withoutPositions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutPositions);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => k !== "location").map(([k, v]) => [k, withoutPositions(v)]));
}

function alone(text: string): unknown {
  const parsed = parseSql(text);
  return parsed.ok ? parsed.statements.map((s) => withoutPositions(s.ast)) : null;
}

function batched(texts: string[]): unknown[] {
  const parsed = parseFixTexts(texts);
  return texts.map((t) => {
    const statements = parsed.get(t);
    return statements ? statements.map(withoutPositions) : null;
  });
}

beforeAll(async () => {
  await initParser();
});

describe("parseFixTexts", () => {
  it("gives each text its own statements, positions included, as a parse of that text alone does", () => {
    const texts = [
      'CREATE INDEX "a_idx" ON "a"("x", "y" DESC);',
      'CREATE INDEX CONCURRENTLY idx_b ON public.b USING gin (tags) WHERE deleted_at IS NULL;\nDROP INDEX CONCURRENTLY "b_old";',
      "CREATE UNIQUE INDEX c_lower ON c (lower(email)) INCLUDE (id);",
      "DROP INDEX s.d_idx;",
      "-- A later migration of its own:\nCREATE INDEX e_idx ON e (k);",
      `CREATE INDEX "é_idx" ON f (lower(name)) WHERE note = 'café';`,
      "CREATE INDEX g_idx ON g (x) WHERE y > 0;",
    ];
    expect(batched(texts)).toEqual(texts.map(alone));
    // Byte offsets, as the parser counts them, after a text holding two-byte characters.
    const parsed = parseFixTexts(texts);
    expect(texts.map((t) => parsed.get(t))).toEqual(texts.map((t) => (parseSql(t) as { statements: Array<{ ast: unknown }> }).statements.map((s) => s.ast)));
    // Expressions inside read the same either way (their positions count from the joined text).
    const where = parseFixTexts(texts).get(texts[1])![0].IndexStmt.whereClause;
    expect(deparseNode(where)).toBe("deleted_at IS NULL");
  });

  it("falls back to one parse per text when the texts would run into one another or one is refused", () => {
    // Alone, the first leaves a comment open and the second closes it; joined, both would parse.
    const comment = ['CREATE INDEX a_idx ON a (x); /* ;', "SELECT 1 */ CREATE INDEX b_idx ON b (y);"];
    expect(batched(comment)).toEqual([null, null]);
    // A string left open runs into the next text.
    const quote = ["CREATE INDEX a_idx ON a (x) WHERE k = 'v;", "CREATE INDEX b_idx ON b (y) WHERE k = ';"];
    expect(batched(quote)).toEqual(quote.map(alone));
    expect(batched(quote)).toEqual([null, null]);
    const refused = ["CREATE INDEX a_idx ON a (x);", "CREATE INDEX ON;", "DROP INDEX b_idx;"];
    expect(batched(refused)).toEqual(refused.map(alone));
    expect(batched(refused)[1]).toBeNull();
    // No semicolon at the end: parsed alone.
    const open = ["CREATE INDEX a_idx ON a (x)", "DROP INDEX b_idx;"];
    expect(batched(open)).toEqual(open.map(alone));
  });

  it("gives the same answers when parses are kept between calls, for texts seen before and texts new to the second call", () => {
    const first = ["CREATE INDEX a_idx ON a (x);", "CREATE INDEX ON;"];
    const second = ["CREATE INDEX ON;", "DROP INDEX b_idx;", "CREATE INDEX a_idx ON a (x);", "-- a later migration\nCREATE INDEX c_idx ON c (y);"];
    keepingFixParses(() => {
      expect(batched(first)).toEqual(first.map(alone));
      expect(batched(second)).toEqual(second.map(alone));
      const statements = parseFixStatements(second);
      expect(second.map((t) => statements.get(t))).toEqual(second.map((t) => {
        const parsed = parseSql(t);
        return parsed.ok ? parsed.statements : null;
      }));
    });
  });
});
