import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Probot, type ProbotOctokit } from "probot";
import { BlobStore, ByteLru, gitApiFromOctokit, githubSource, listPullRequestFiles, parsePatch } from "../../src/source/github-source.js";
import { generateAppCredentials, startGitHubStandin, type GitHubStandin, type RepoHandle } from "../support/github-standin/index.js";

describe("parsePatch", () => {
  it("finds the new-file lines of each hunk, skipping removed lines", () => {
    const patch = ["@@ -1,3 +1,4 @@", " a", "-b", "+B", "+C", " d", "@@ -10,2 +11,2 @@ fn()", " x", "-y", "+Y", "\\ No newline at end of file"].join("\n");
    const { rightLines, hunks } = parsePatch(patch);
    expect([...rightLines].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 11, 12]);
    expect(hunks).toEqual([
      { start: 1, end: 4 },
      { start: 11, end: 12 },
    ]);
  });

  it("reads a new file's single hunk", () => {
    expect([...parsePatch("@@ -0,0 +1,2 @@\n+one\n+two").rightLines]).toEqual([1, 2]);
  });
});

describe("ByteLru", () => {
  it("evicts the least recently used entries beyond its byte budget", () => {
    const lru = new ByteLru(10);
    lru.set("a", new Uint8Array(4));
    lru.set("b", new Uint8Array(4));
    lru.get("a");
    lru.set("c", new Uint8Array(4));
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBeDefined();
    expect(lru.totalBytes).toBe(8);
  });
});

describe("githubSource over the stand-in", () => {
  let gh: GitHubStandin;
  let repo: RepoHandle;
  let octokit: InstanceType<typeof ProbotOctokit>;
  beforeAll(async () => {
    const credentials = generateAppCredentials();
    gh = await startGitHubStandin({ appId: credentials.appId });
    repo = await gh.createRepo({
      owner: "acme",
      name: "shop",
      files: {
        "db/001.sql": "create table a (id int primary key);\n",
        "db/002.sql": "create table b (id int primary key);\n",
        "node_modules/x/y.sql": "select 1;\n",
        "big.sql": "-- " + "x".repeat(2000) + "\n",
      },
    });
    const probot = new Probot({ ...credentials, baseUrl: gh.url, logLevel: "fatal" });
    octokit = await probot.auth(gh.installationId);
  });
  afterAll(async () => gh?.close());

  it("lists the tree in one call and shares blobs by SHA between commits", async () => {
    const blobs = new BlobStore({ maxBytes: 1024 * 1024 });
    const api = gitApiFromOctokit(octokit, repo.owner, repo.name);
    const first = await repo.headOf("main");
    const second = await repo.commit({ branch: "main", files: { "db/003.sql": "create table c (id int primary key);\n" } });
    gh.resetRecording();

    const one = githubSource({ api, commitSha: first, blobs, maxFileBytes: 1000 });
    expect((await one.list()).map((f) => f.path)).toEqual(["big.sql", "db/001.sql", "db/002.sql"]);
    expect(new TextDecoder().decode(await one.read("db/001.sql"))).toContain("create table a");
    await expect(one.read("big.sql")).rejects.toThrow(/larger than/);
    await expect(one.read("nope.sql")).rejects.toThrow(/no such file/);

    const two = githubSource({ api, commitSha: second, blobs });
    await two.prefetch((p) => p.endsWith(".sql") && p.startsWith("db/"));
    expect(new TextDecoder().decode(await two.read("db/003.sql"))).toContain("create table c");
    expect(new TextDecoder().decode(await two.read("db/001.sql"))).toContain("create table a");

    const counts = gh.routeCounts();
    expect(counts["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"]).toBe(2);
    // 001 once for both commits, then 002 and 003: the big file was never downloaded.
    expect(counts["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"]).toBe(3);
    expect(gh.violations()).toEqual([]);
  });

  it("lists a pull request's files with their commentable lines", async () => {
    await repo.commit({ branch: "feature", files: { "db/002.sql": "create table b (id int primary key);\ncreate index on b (id);\n", "logo.png": Buffer.from([0, 1, 2, 0]) } });
    const pr = await repo.openPullRequest({ head: "feature" });
    const listed = await listPullRequestFiles(octokit, { owner: repo.owner, repo: repo.name, pull_number: pr.number });
    expect(listed.truncated).toBe(false);
    const sql = listed.files.find((f) => f.path === "db/002.sql")!;
    expect(sql.hasPatch).toBe(true);
    expect(sql.rightLines.has(2)).toBe(true);
    expect(listed.files.find((f) => f.path === "logo.png")?.hasPatch).toBe(false);
    expect(gh.violations()).toEqual([]);
  });
});

describe("githubSource with batched blobs (GraphQL)", () => {
  let gh: GitHubStandin;
  let octokit: InstanceType<typeof ProbotOctokit>;
  beforeAll(async () => {
    const credentials = generateAppCredentials();
    // GitHub cuts long blob texts in GraphQL answers; a low limit makes that happen here.
    gh = await startGitHubStandin({ appId: credentials.appId, graphqlBlobTextLimit: 500 });
    const probot = new Probot({ ...credentials, baseUrl: gh.url, logLevel: "fatal" });
    octokit = await probot.auth(gh.installationId);
  });
  afterAll(async () => gh?.close());

  it("fetches many blobs per request and falls back to REST for binary and truncated ones", async () => {
    const files: Record<string, string | Buffer> = {};
    for (let i = 0; i < 250; i++) files[`db/${String(i).padStart(3, "0")}.sql`] = `create table t${i} (id int primary key);\n`;
    files["db/binary.sql"] = Buffer.from([0x73, 0, 0x71, 0x6c]);
    files["db/long.sql"] = "-- " + "y".repeat(1000) + "\nselect 1;\n";
    const repo = await gh.createRepo({ owner: "acme", name: "batched", files });
    const source = githubSource({
      api: gitApiFromOctokit(octokit, repo.owner, repo.name, { batchBlobs: true }),
      commitSha: await repo.headOf("main"),
      blobs: new BlobStore(),
    });
    gh.resetRecording();
    await source.prefetch((p) => p.endsWith(".sql"));
    const counts = gh.routeCounts();
    // 252 blobs: three queries of at most 100, then one REST call each for the two GraphQL could not give.
    expect(counts["POST /graphql"]).toBe(3);
    expect(counts["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"]).toBe(2);
    const total = () => Object.values(gh.routeCounts()).reduce((a, b) => a + b, 0);
    const afterPrefetch = total();
    expect(new TextDecoder().decode(await source.read("db/007.sql"))).toBe("create table t7 (id int primary key);\n");
    expect(new TextDecoder().decode(await source.read("db/long.sql"))).toHaveLength(1014);
    expect([...(await source.read("db/binary.sql"))]).toEqual([0x73, 0, 0x71, 0x6c]);
    // Reads after the prefetch come from the cache.
    expect(total()).toBe(afterPrefetch);
    expect(gh.violations()).toEqual([]);
  });
});
