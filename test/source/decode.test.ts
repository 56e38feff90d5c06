import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Probot, type ProbotOctokit } from "probot";
import { textReader } from "../../src/audit.js";
import { decodeText } from "../../src/source/decode.js";
import { fsSource } from "../../src/source/fs-source.js";
import { BlobStore, gitApiFromOctokit, githubSource } from "../../src/source/github-source.js";
import { generateAppCredentials, startGitHubStandin, type GitHubStandin } from "../support/github-standin/index.js";

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p)))));

/** The files both sources must read alike. */
const FILES: Record<string, Uint8Array> = {
  // A NUL inside a string literal, in a file of a few lines.
  "src/separator.ts": bytes('export const SEP = "', [0], '";\nexport const users = () => pool.query("SELECT id FROM users WHERE org = $1");\n'),
  // A legacy 8-bit file: "é" and "€" as windows-1252 bytes, invalid as UTF-8.
  "src/legacy.js": bytes("// r", [0xe9], "sum", [0xe9], " ", [0x80], "\nmodule.exports = { price: 1 };\n"),
  "src/bom.ts": bytes([0xef, 0xbb, 0xbf], "export const a = 1;\n"),
  "src/wide.ts": bytes([0xff, 0xfe], [0x61, 0, 0x3d, 0, 0x31, 0, 0x0a, 0]),
  // A PNG's first bytes: invalid UTF-8 and NULs.
  "assets/logo.png": bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 0x10]),
};

describe("decodeText: text or binary, and in which encoding", () => {
  it("keeps a NUL inside a string literal: the file is UTF-8 text", () => {
    const result = decodeText(FILES["src/separator.ts"]);
    expect(result).toMatchObject({ ok: true, encoding: "utf-8" });
    expect(result.ok && result.text.startsWith('export const SEP = "\u0000";\n')).toBe(true);
  });

  it("reads bytes that are not UTF-8 and hold no NUL as windows-1252", () => {
    expect(decodeText(FILES["src/legacy.js"])).toEqual({ ok: true, encoding: "windows-1252", text: "// résumé €\nmodule.exports = { price: 1 };\n" });
  });

  it("follows byte order marks: UTF-8's is dropped, UTF-16's selects UTF-16", () => {
    expect(decodeText(FILES["src/bom.ts"])).toEqual({ ok: true, encoding: "utf-8", text: "export const a = 1;\n" });
    expect(decodeText(FILES["src/wide.ts"])).toEqual({ ok: true, encoding: "utf-16le", text: "a=1\n" });
    expect(decodeText(bytes([0xfe, 0xff], [0xd8, 0x00]))).toEqual({ ok: false, reason: "not valid UTF-16BE text despite its byte order mark" });
  });

  it("calls binary what is not text: NULs with invalid UTF-8, frequent control bytes, UTF-16 with no mark", () => {
    expect(decodeText(FILES["assets/logo.png"])).toEqual({ ok: false, reason: "binary file (contains NUL bytes)" });
    expect(decodeText(bytes([0x61, 0, 0x3d, 0, 0x31, 0, 0x0a, 0]))).toEqual({ ok: false, reason: "binary file (contains NUL bytes)" });
    expect(decodeText(bytes("ab", [0xe9, 1, 2, 3], "cd"))).toEqual({ ok: false, reason: "binary file (control bytes, not text)" });
  });

  it("a long source file with a few NULs in literals stays text; the same NULs in a short file of mostly NULs do not", () => {
    const long = bytes("const a = '", [0], "';\n", "x".repeat(2000), "\nconst b = '", [0, 0], "';\n");
    expect(decodeText(long).ok).toBe(true);
    expect(decodeText(bytes("ab", [0, 0, 0, 0], "\n")).ok).toBe(false);
  });

  it("looks for control bytes in the first 8,000 bytes only, however many characters they make", () => {
    // Control bytes past the window do not count; inside it they do, also after multi-byte characters.
    const controls = Array.from({ length: 1000 }, () => 1);
    expect(decodeText(bytes("x".repeat(8000), controls)).ok).toBe(true);
    expect(decodeText(bytes("x".repeat(7000), controls))).toEqual({ ok: false, reason: "binary file (control bytes, not text)" });
    // 2,700 three-byte characters fill 8,100 bytes: the control bytes after them are past the window.
    expect(decodeText(bytes("€".repeat(2700), controls)).ok).toBe(true);
    expect(decodeText(bytes("€".repeat(2000), controls))).toEqual({ ok: false, reason: "binary file (control bytes, not text)" });
    // Tab, backspace, form feed and escape are printable; vertical tab and DEL are not.
    expect(decodeText(bytes("a", [0x09, 0x08, 0x0c, 0x1b], "b")).ok).toBe(true);
    expect(decodeText(bytes("a", [0x0b, 0x7f], "b")).ok).toBe(false);
  });
});

describe("the folder source", () => {
  it("reads a file of any size whole, byte for byte, one file after another", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "index-audit-read-"));
    try {
      // Larger than the read buffer (256 kB) and not a multiple of it, then a small file after it.
      const large = Buffer.alloc(600_001, "sql;\n");
      writeFileSync(path.join(dir, "large.sql"), large);
      writeFileSync(path.join(dir, "small.sql"), "select 1;\n");
      writeFileSync(path.join(dir, "empty.sql"), "");
      const source = fsSource(dir);
      expect(Buffer.from(await source.read("large.sql")).equals(large)).toBe(true);
      expect(Buffer.from(await source.read("small.sql")).toString()).toBe("select 1;\n");
      expect((await source.read("empty.sql")).length).toBe(0);
      await expect(source.read("missing.sql")).rejects.toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the folder source's paths", () => {
  it("lists nested files relative to the root and reads them by that path, or by one with . and .. parts", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "index-audit-paths-"));
    try {
      mkdirSync(path.join(dir, "prisma", "migrations", "0001_init"), { recursive: true });
      mkdirSync(path.join(dir, "node_modules", "pkg"), { recursive: true });
      writeFileSync(path.join(dir, "prisma", "migrations", "0001_init", "migration.sql"), "select 1;\n");
      writeFileSync(path.join(dir, "node_modules", "pkg", "index.js"), "x\n");
      writeFileSync(path.join(dir, "a.ts"), "a\n");
      // The root given with a trailing slash and a "." part still names the same folder.
      const source = fsSource(`${dir}/./`);
      expect((await source.list()).map((f) => f.path)).toEqual(["a.ts", "prisma/migrations/0001_init/migration.sql"]);
      const read = async (p: string) => Buffer.from(await source.read(p)).toString();
      expect(await read("prisma/migrations/0001_init/migration.sql")).toBe("select 1;\n");
      expect(await read("./prisma//migrations/0001_init/../0001_init/migration.sql")).toBe("select 1;\n");
      expect(await read("prisma/../a.ts")).toBe("a\n");
      await expect(source.read("prisma/missing.sql")).rejects.toThrow(`${path.join(dir, "prisma", "missing.sql")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the folder source and the GitHub source decide alike", () => {
  let gh: GitHubStandin;
  let octokit: InstanceType<typeof ProbotOctokit>;
  let dir: string;
  beforeAll(async () => {
    const credentials = generateAppCredentials();
    gh = await startGitHubStandin({ appId: credentials.appId });
    const probot = new Probot({ ...credentials, baseUrl: gh.url, logLevel: "fatal" });
    octokit = await probot.auth(gh.installationId);
    dir = mkdtempSync(path.join(tmpdir(), "index-audit-decode-"));
    for (const [file, content] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    }
  });
  afterAll(async () => {
    await gh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("with blobs fetched one by one (REST) or many per request (GraphQL text)", async () => {
    const repo = await gh.createRepo({ owner: "acme", name: "encodings", files: Object.fromEntries(Object.entries(FILES).map(([k, v]) => [k, Buffer.from(v)])) });
    const local = textReader(fsSource(dir));
    const expected = await Promise.all(Object.keys(FILES).map((file) => local(file)));
    for (const batchBlobs of [false, true]) {
      const source = githubSource({
        api: gitApiFromOctokit(octokit, repo.owner, repo.name, { batchBlobs }),
        commitSha: await repo.headOf("main"),
        blobs: new BlobStore(),
      });
      await source.prefetch(() => true);
      const remote = textReader(source);
      expect(await Promise.all(Object.keys(FILES).map((file) => remote(file)))).toEqual(expected);
    }
    expect(expected.map((r) => r.ok)).toEqual([true, true, true, true, false]);
    expect(gh.violations()).toEqual([]);
  });
});
