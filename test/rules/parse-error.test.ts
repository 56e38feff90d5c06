import { beforeAll, describe, expect, it } from "vitest";
import { parseError } from "../../src/rules/parse-error.js";
import { initParser } from "../../src/sql/parser.js";
import { buildInput, contextOf } from "./helpers.js";

beforeAll(async () => {
  await initParser();
});

describe("parse-error", () => {
  it("turns every input problem into a finding at its file and line", () => {
    const input = buildInput([
      { path: "m/001.sql", sql: "CREATE TABLE a (id int PRIMARY KEY);" },
      { path: "m/002.sql", sql: "CREATE TABLE b (id int PRIMARY KEY);\nCREATE TABLE c (id int,,);" },
    ]);
    input.problems.push({ message: "app/data.sql: binary file (contains NUL bytes)", location: { file: "app/data.sql", line: 1, column: 1 } });
    const result = parseError.check(contextOf(input));
    expect(result).toHaveLength(2);
    expect(result[0]).toMatchObject({ rule: "parse-error", severity: "routine", location: { file: "m/002.sql", line: 2 } });
    expect(result[0].message).toContain("syntax error");
    expect(result[1]).toMatchObject({ location: { file: "app/data.sql", line: 1 }, message: "app/data.sql: binary file (contains NUL bytes)" });
  });

  it("keys identical problems in one file apart, and the key does not carry line numbers", () => {
    const problem = (line: number) => ({ message: `syntax error at end of input (line ${line})`, location: { file: "x.sql", line, column: 1 } });
    const input = buildInput([]);
    input.problems.push(problem(3), problem(9));
    const keys = parseError.check(contextOf(input)).map((f) => f.key);
    expect(new Set(keys).size).toBe(2);
    input.problems.splice(0, 2, problem(5), problem(12));
    expect(parseError.check(contextOf(input)).map((f) => f.key)).toEqual(keys);
  });
});
