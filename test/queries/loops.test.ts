import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { extractFromCodeFile } from "../../src/queries/code-file.js";
import { initParser } from "../../src/sql/parser.js";
import { byFunction, predicatesOf } from "./helpers.js";

beforeAll(() => initParser());

function patterns() {
  const result = extractFromCodeFile("src/loops.ts", readFileSync("test/fixtures/code/app/src/loops.ts", "utf8"));
  expect(result.problems).toEqual([]);
  return result.patterns;
}

describe("queries issued inside loops", () => {
  it.each([
    ["forOf", "users", "for...of", 6],
    ["classicFor", "call_logs", "for", 14],
    ["forIn", "sites", "for...in", 20],
    ["whileLoop", "invites", "while", 27],
    ["doWhile", "widget_pageviews", "do...while", 35],
    ["forEachCallback", "agent_sessions", ".forEach()", 42],
    ["mapCallback", "agent_profiles", ".map()", 48],
  ])("%s: the query on %s runs once per iteration of a %s loop", (fn, table, kind, line) => {
    const found = byFunction(patterns(), fn);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ table, inLoop: true, loop: { kind, line } });
  });

  it("a loop that only adds filters does not make the query run in a loop", () => {
    const [p] = byFunction(patterns(), "builtInLoopRunOnce");
    expect(p.inLoop).toBe(false);
    expect(p.loop).toBeUndefined();
    // The column named by the loop variable is skipped; the literal one is kept, marked conditional.
    expect(predicatesOf(p)).toEqual(["status neq param conditional", "organization_id eq 'o' param"]);
  });

  it("a set-based query outside any loop is not in a loop", () => {
    const [p] = byFunction(patterns(), "setBased");
    expect(p).toMatchObject({ inLoop: false, table: "users" });
    expect(predicatesOf(p)).toEqual(["id in param"]);
  });

  it("a function declared in a loop's file but called elsewhere does not inherit loops", () => {
    const code = `
      import { supabase } from "./client";
      for (const x of [1, 2]) console.log(x);
      export async function lookup(id: string) {
        return supabase.from("users").select("*").eq("id", id).single();
      }
      export async function caller(ids: string[]) {
        for (const id of ids) {
          const run = async () => supabase.from("sites").select("*").eq("id", id).single();
          await withRetry(() => supabase.from("pools").select("*").eq("id", id).single());
        }
      }`;
    const found = extractFromCodeFile("src/x.ts", code).patterns;
    expect(found.find((p) => p.table === "users")!.inLoop).toBe(false);
    // A callback handed to a call runs there, inside the loop; a function stored for later does not.
    expect(found.find((p) => p.table === "pools")!.inLoop).toBe(true);
    expect(found.find((p) => p.table === "sites")!.inLoop).toBe(false);
  });
});
