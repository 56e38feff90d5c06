import { beforeAll, describe, expect, it } from "vitest";
import { deparseNode, initParser, lineIndex, parseSql } from "../../src/sql/parser.js";

beforeAll(() => initParser());

describe("parseSql", () => {
  it("gives statement offsets in string positions, also after multibyte text", () => {
    const sql = "SELECT 'ééé';\nCREATE TABLE t (id int);";
    const result = parseSql(sql);
    if (!result.ok) throw new Error(result.message);
    expect(result.statements.map((s) => sql.slice(s.start, s.end))).toEqual(["SELECT 'ééé'", "CREATE TABLE t (id int)"]);
  });

  it("points a syntax error at the offending token, after accented letters and emoji alike", () => {
    for (const sql of ["SELECT 1 FROM WHERE", "SELECT 'ééé' FROM WHERE", "SELECT '😀😀' FROM WHERE"]) {
      const result = parseSql(sql);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.offset).toBe(sql.indexOf("WHERE"));
        expect(result.message).toContain('syntax error at or near "WHERE"');
      }
    }
  });
});

describe("deparseNode and lineIndex", () => {
  it("prints an index predicate on one line", () => {
    const result = parseSql("CREATE INDEX i ON t (a) WHERE a IS NOT NULL AND status = 'x'");
    if (!result.ok) throw new Error(result.message);
    expect(deparseNode(result.statements[0].ast.IndexStmt.whereClause)).toBe("a IS NOT NULL AND status = 'x'");
  });

  it("maps offsets to 1-based lines and columns", () => {
    const at = lineIndex("a\nbc\n\nd");
    expect(at(0)).toEqual({ line: 1, column: 1 });
    expect(at(3)).toEqual({ line: 2, column: 2 });
    expect(at(6)).toEqual({ line: 4, column: 1 });
  });
});
