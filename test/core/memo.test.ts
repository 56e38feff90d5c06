import { describe, expect, it } from "vitest";
import { audit } from "../../src/audit.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { FileMemo } from "../../src/core/memo.js";
import type { Source } from "../../src/source/source.js";

/** An in-memory source that counts how often each file is read. */
function memorySource(files: Record<string, string>) {
  return {
    list: async () => Object.keys(files).map((path) => ({ path })),
    read: async (path: string) => new TextEncoder().encode(files[path]),
  } satisfies Source;
}

describe("FileMemo", () => {
  it("computes once per kind, context and text, and again when any of them changes", () => {
    const memo = new FileMemo();
    let calls = 0;
    const compute = () => ++calls;
    expect(memo.get("migration", "a.sql", "CREATE TABLE t ();", compute)).toBe(1);
    expect(memo.get("migration", "a.sql", "CREATE TABLE t ();", compute)).toBe(1);
    expect(memo.get("migration", "a.sql", "CREATE TABLE u ();", compute)).toBe(2);
    expect(memo.get("migration", "b.sql", "CREATE TABLE t ();", compute)).toBe(3);
    expect(memo.get("queries", "a.sql", "CREATE TABLE t ();", compute)).toBe(4);
  });

  it("forgets the least recently used entries past its size", () => {
    const memo = new FileMemo(60);
    let calls = 0;
    const compute = () => ++calls;
    memo.get("k", "a", "x".repeat(20), compute); // 1
    memo.get("k", "b", "y".repeat(20), compute); // 2
    memo.get("k", "a", "x".repeat(20), compute); // hit: a is now the youngest
    memo.get("k", "c", "z".repeat(20), compute); // 3, pushes b out
    expect(memo.size).toBe(2);
    expect(memo.get("k", "a", "x".repeat(20), compute)).toBe(1);
    expect(memo.get("k", "b", "y".repeat(20), compute)).toBe(4);
  });

  it("gives the same findings with and without a memo, across two commits that share files", async () => {
    const base = {
      "supabase/migrations/20240101000000_init.sql": "CREATE TABLE orgs (id int PRIMARY KEY);\nCREATE TABLE users (id int PRIMARY KEY, org_id int REFERENCES orgs (id) ON DELETE CASCADE, email text);",
      "src/users.ts": 'export const find = (email: string) => supabase.from("users").select("id").eq("email", email).single();',
    };
    const head = { ...base, "supabase/migrations/20240102000000_idx.sql": "CREATE INDEX idx_users_org_id ON users (org_id);" };
    const memo = new FileMemo();
    const plain = async (files: Record<string, string>) => (await audit(memorySource(files), { config: DEFAULT_CONFIG })).findings;
    const memoized = async (files: Record<string, string>) => (await audit(memorySource(files), { config: DEFAULT_CONFIG, memo })).findings;
    expect(await memoized(base)).toEqual(await plain(base));
    expect(await memoized(head)).toEqual(await plain(head));
    expect((await plain(base)).map((f) => f.rule)).toContain("fk-index");
    expect((await plain(head)).map((f) => f.rule)).not.toContain("fk-index");
    // Three files in all: the head re-used the two it shares with the base.
    expect(memo.size).toBe(3);
  });
});
