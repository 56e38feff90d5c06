import { beforeAll, describe, expect, it } from "vitest";
import { prepareScript } from "../../src/migrations/script.js";
import { initParser, parseSql, scanSql } from "../../src/sql/parser.js";

beforeAll(async () => {
  await initParser();
});

/** Offsets of the semicolons PostgreSQL's own lexer sees. */
function lexerSemicolons(sql: string): number[] {
  const scan = scanSql(sql);
  if (!scan.ok) throw new Error(scan.message);
  return scan.tokens.filter((t) => t.name === "ASCII_59").map((t) => t.start);
}

const TRICKY = [
  "SELECT 'a;b'; SELECT 'it''s;'; SELECT E'it\\'s;' ; SELECT e'\\\\'; SELECT 1;",
  'CREATE TABLE "we;ird" ("a""b;" int); SELECT "x"";";',
  "SELECT $$;$$; SELECT $tag$ $$ ; $tag$; SELECT $a$ $b$ ; $b$ $a$;",
  "SELECT $1; SELECT a$b FROM t; SELECT a$b$c FROM t;",
  "SELECT 1 /* ; /* nested ; */ ; */ ; -- ; comment\nSELECT 2 -- trailing ;\n;",
  "SELECT U&'d\\0061t\\+000061;'; SELECT B'1010'; SELECT X'1F';",
  "SELECT 'line one;\nline two;'; SELECT 3;",
  "SELECT 'x'\n'continued;'; SELECT now()::date; SELECT arr[1:2] FROM t;",
];

describe("statement ends agree with PostgreSQL's lexer", () => {
  for (const sql of TRICKY) {
    it(JSON.stringify(sql).slice(0, 60), () => {
      const spans = prepareScript(sql).spans;
      const ends = spans.map((s) => s.end).filter((end) => end < sql.length);
      expect(ends).toEqual(lexerSemicolons(sql));
      // And each span parses on its own into exactly one statement.
      for (const span of spans) {
        const piece = sql.slice(span.start, span.end);
        const parsed = parseSql(piece);
        expect(parsed.ok && parsed.statements.length).toBe(1);
      }
    });
  }

  for (const [what, sql] of [
    ["BEGIN ATOMIC ... END", "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; END; SELECT 3;"],
    ["a rule's parenthesised actions", "CREATE TABLE t (a int); CREATE TABLE u (a int); CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (new.a); DELETE FROM u WHERE a < 0); SELECT 1;"],
  ]) {
    it(`semicolons inside ${what} stay inside the statement, as the grammar says`, () => {
      const spans = prepareScript(sql).spans;
      const parsed = parseSql(sql);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      expect(spans.map((s) => sql.slice(s.start, s.end))).toEqual(parsed.statements.map((p) => sql.slice(p.start, p.end)));
    });
  }
});

describe("psql syntax is blanked in place", () => {
  it("keeps length and line breaks", () => {
    const sql = "\\set a 1\nSELECT :a, :'b', :\"c\";\n\\echo done\n";
    const { text, metaCommands } = prepareScript(sql);
    expect(text).toHaveLength(sql.length);
    expect(text.split("\n").length).toBe(sql.split("\n").length);
    expect(metaCommands).toBe(2);
    expect(text).toBe("        \nSELECT  a,  'b',  \"c\";\n          \n");
  });

  it("leaves casts, :=, slices and colons in strings, comments and dollar quotes alone", () => {
    const sql = "SELECT x::int, y[1:2], '10:30', $$ :a $$ -- :b\n; DO $$ BEGIN v := 1; END $$;";
    expect(prepareScript(sql).text).toBe(sql);
  });

  it("a slice bound named after a \\set variable is substituted, as psql would", () => {
    const sql = "\\set hi 3\nSELECT y[1:hi], y[1:lo] FROM t;";
    expect(prepareScript(sql).text).toBe("         \nSELECT y[1:hi], y[1:lo] FROM t;".replace("[1:hi]", "[1 hi]"));
  });

  it("notes only comments that carry the suppression marker", () => {
    const sql = "-- plain\n-- index-audit-ignore fk-index: ok\nSELECT 'index-audit-ignore in a string';\n/* index-audit-ignore x: y */";
    expect(prepareScript(sql).markerComments.map((c) => c.text)).toEqual(["-- index-audit-ignore fk-index: ok", "/* index-audit-ignore x: y */"]);
  });
});
