// The auth configuration the audit reads beside the queries: only files whose path names auth, only an
// Auth.js / NextAuth configuration, and the line of its `session: { strategy: "jwt" }`.
import { describe, expect, it } from "vitest";
import { readCodeFacts } from "../../src/queries/auth-sessions.js";
import type { TextReader } from "../../src/source/source.js";

function reader(files: Record<string, string>): { read: TextReader; reads: string[] } {
  const reads: string[] = [];
  const read: TextReader = async (path) => {
    reads.push(path);
    return path in files ? { ok: true, text: files[path], encoding: "utf-8" } as Awaited<ReturnType<TextReader>> : { ok: false, reason: "missing" };
  };
  return { read, reads };
}

const CONFIG = 'import NextAuth from "next-auth";\nimport { PrismaAdapter } from "@auth/prisma-adapter";\n\nexport default NextAuth({\n  adapter: PrismaAdapter(db),\n  session: { strategy: "jwt" },\n});\n';

describe("readCodeFacts", () => {
  it("finds the jwt strategy in an auth file, reading only files whose path names auth", async () => {
    const files = { "app/api/auth/[...nextauth].ts": CONFIG, "app/lib/orders.ts": "const session = { strategy: 'jwt' };" };
    const { read, reads } = reader(files);
    const facts = await readCodeFacts(Object.keys(files), read);
    expect(facts.jwtSessions).toEqual({ file: "app/api/auth/[...nextauth].ts", line: 6, column: 14 });
    expect(reads).toEqual(["app/api/auth/[...nextauth].ts"]);
  });

  it("says nothing for a database strategy, for code that is not an auth library's configuration, or under node_modules", async () => {
    const files = {
      "src/server/auth.ts": CONFIG.replace('"jwt"', '"database"'),
      "src/auth/tokens.ts": 'export const session = { strategy: "jwt" };\n',
      "node_modules/next-auth/auth.js": CONFIG,
    };
    const { read } = reader(files);
    expect(await readCodeFacts(Object.keys(files), read)).toEqual({});
  });
});
