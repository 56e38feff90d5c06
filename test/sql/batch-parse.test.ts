// parseEach() parses many texts in one call to the parser: each text must get back what parseSql gives it
// alone (trees with their byte positions, statement offsets), null where the parser refuses it alone, and a
// tree of its own even when another text is the same.
import { beforeAll, describe, expect, it } from "vitest";
import { parseEach } from "../../src/sql/batch-parse.js";
import { initParser, parseSql } from "../../src/sql/parser.js";

function alone(text: string): unknown {
  const parsed = parseSql(text);
  return parsed.ok ? parsed.statements : null;
}

beforeAll(async () => {
  await initParser();
});

describe("parseEach", () => {
  it("gives each text its statements, trees and offsets, as a parse of that text alone does", () => {
    const texts = [
      'CREATE TYPE "Rôle" AS ENUM (\'admin\', \'usér\');',
      'CREATE TABLE "User" ("id" TEXT NOT NULL, "role" "Rôle" NOT NULL DEFAULT \'usér\', CONSTRAINT "User_pkey" PRIMARY KEY ("id"));',
      'CREATE INDEX "User_role_idx" ON "User"("role") WHERE "role" <> \'admin\';\nDROP INDEX "old_idx";',
      'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    ];
    expect(parseEach(texts)).toEqual(texts.map(alone));
  });

  it("gives equal texts trees of their own", () => {
    const text = 'CREATE INDEX "a_idx" ON "a"("x");';
    const [first, second] = parseEach([text, text]);
    expect(first).toEqual(alone(text));
    expect(second).toEqual(alone(text));
    expect(first![0].ast).not.toBe(second![0].ast);
  });

  it("parses alone a text the joined parse cannot stand for, and gives null for one the parser refuses", () => {
    const texts = ["CREATE INDEX a_idx ON a (x);", "CREATE INDEX ON;", "CREATE INDEX b_idx ON b (y) WHERE k = 'v;", "DROP INDEX c_idx"];
    const parsed = parseEach(texts);
    expect(parsed).toEqual(texts.map(alone));
    expect(parsed[1]).toBeNull();
    expect(parsed[2]).toBeNull();
  });
});
