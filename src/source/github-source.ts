// A Source over one commit read through the GitHub REST API, plus the pull request's changed files.
// The tree costs one call; blobs are fetched only when the pipeline reads them, in parallel with a
// small concurrency limit, and cached by blob SHA so base, head and later pushes share what did not change.
import { MAX_FILE_BYTES, type Source, type SourceFile } from "./source.js";

// ---------------------------------------------------------------- the API surface we use

export interface TreeEntry {
  path: string;
  /** Blob SHA. */
  sha: string;
  size?: number;
}

/** Where trees are shared between audits: a Map, or any cache with the same three calls. */
export interface TreeCache {
  get(commitSha: string): Promise<CommitTree> | undefined;
  set(commitSha: string, tree: Promise<CommitTree>): unknown;
  delete(commitSha: string): unknown;
}

export interface CommitTree {
  /** Files only (blobs), no folders or submodules. */
  files: TreeEntry[];
  /** GitHub cut the recursive listing short: some files are missing. */
  truncated: boolean;
}

/** The few Git Data calls the source needs; one implementation over Octokit, any other in tests. */
export interface GitApi {
  getTree(commitSha: string): Promise<CommitTree>;
  getBlob(blobSha: string): Promise<Uint8Array>;
  /**
   * Many blobs in one request, when the API offers it (GraphQL). A null entry means "not in this
   * answer" (binary, truncated, missing): fetch that one alone.
   */
  getBlobs?(blobShas: string[]): Promise<Map<string, Uint8Array | null>>;
}

/** Structural subset of Probot's Octokit this module calls (keeps the import graph light). */
export interface OctokitLike {
  graphql?: (query: string, variables: Record<string, unknown>) => Promise<unknown>;
  rest: {
    git: {
      getTree(params: { owner: string; repo: string; tree_sha: string; recursive?: string }): Promise<{
        data: { truncated: boolean; tree: Array<{ path?: string; type?: string; sha?: string; size?: number; mode?: string }> };
      }>;
      getBlob(params: { owner: string; repo: string; file_sha: string }): Promise<{ data: { content: string; encoding: string; size?: number | null } }>;
    };
    pulls: {
      listFiles(params: { owner: string; repo: string; pull_number: number; per_page?: number; page?: number }): Promise<{
        data: Array<{ filename: string; status: string; patch?: string; previous_filename?: string; sha?: string | null; changes?: number }>;
        headers: Record<string, unknown>;
      }>;
    };
  };
}

/** Blobs per GraphQL query: large enough to keep calls few, small enough for GitHub's limits. */
export const GRAPHQL_BLOB_BATCH = 100;

export function gitApiFromOctokit(octokit: OctokitLike, owner: string, repo: string, options: { batchBlobs?: boolean } = {}): GitApi {
  const graphql = options.batchBlobs ? octokit.graphql : undefined;
  return {
    ...(graphql
      ? {
          async getBlobs(shas: string[]) {
            const fields = shas
              .map((sha, i) => `b${i}: object(oid: "${sha}") { ... on Blob { oid byteSize isBinary isTruncated text } }`)
              .join("\n    ");
            const query = `query($owner: String!, $name: String!) {\n  repository(owner: $owner, name: $name) {\n    ${fields}\n  }\n}`;
            const data = (await graphql(query, { owner, name: repo })) as {
              repository: Record<string, { oid: string; byteSize: number; isBinary: boolean; isTruncated: boolean; text: string | null } | null> | null;
            };
            const out = new Map<string, Uint8Array | null>();
            shas.forEach((sha, i) => {
              const blob = data.repository?.[`b${i}`];
              const usable = blob && !blob.isBinary && !blob.isTruncated && typeof blob.text === "string" && !blob.text.includes("\uFFFD");
              const bytes = usable ? new TextEncoder().encode(blob.text!) : null;
              // GraphQL gives text, not bytes: a file that is not UTF-8 (or has a NUL GitHub calls binary)
              // comes back changed (U+FFFD in place of bytes) or not at all. Only an answer of the blob's own
              // size, with no replacement character, is its bytes; the rest is fetched raw, so both sources
              // decode the same bytes the same way.
              out.set(sha, bytes && bytes.length === blob!.byteSize ? bytes : null);
            });
            return out;
          },
        }
      : {}),
    async getTree(commitSha) {
      const { data } = await octokit.rest.git.getTree({ owner, repo, tree_sha: commitSha, recursive: "1" });
      const files: TreeEntry[] = [];
      for (const entry of data.tree) {
        // "commit" entries are submodules: nothing of ours to read there.
        if (entry.type !== "blob" || !entry.path || !entry.sha) continue;
        // Symlinks are blobs holding a path; reading them as SQL would only produce noise.
        if (entry.mode === "120000") continue;
        files.push({ path: entry.path, sha: entry.sha, size: entry.size });
      }
      return { files, truncated: Boolean(data.truncated) };
    },
    async getBlob(blobSha) {
      const { data } = await octokit.rest.git.getBlob({ owner, repo, file_sha: blobSha });
      if (data.encoding === "base64") return new Uint8Array(Buffer.from(data.content, "base64"));
      return new TextEncoder().encode(data.content);
    },
  };
}

// ---------------------------------------------------------------- caches

/** Least-recently-used map bounded by the total byte size of its values. */
export class ByteLru {
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(key: string): Uint8Array | undefined {
    const value = this.entries.get(key);
    if (value) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: Uint8Array): void {
    if (value.length > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.length;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }
}

/** Runs async jobs with at most `limit` in flight. */
export function concurrencyLimiter(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Blob bytes by SHA, shared by every source in the process; concurrent reads of one blob share a request. */
export class BlobStore {
  private readonly cache: ByteLru;
  private readonly inFlight = new Map<string, Promise<Uint8Array>>();
  private readonly limit: <T>(job: () => Promise<T>) => Promise<T>;

  constructor(options: { maxBytes?: number; concurrency?: number } = {}) {
    this.cache = new ByteLru(options.maxBytes ?? 256 * 1024 * 1024);
    this.limit = concurrencyLimiter(options.concurrency ?? 8);
  }

  async get(sha: string, fetch: (sha: string) => Promise<Uint8Array>): Promise<Uint8Array> {
    const cached = this.cache.get(sha);
    if (cached) return cached;
    const pending = this.inFlight.get(sha);
    if (pending) return pending;
    const request = this.limit(() => fetch(sha))
      .then((bytes) => {
        this.cache.set(sha, bytes);
        return bytes;
      })
      .finally(() => this.inFlight.delete(sha));
    this.inFlight.set(sha, request);
    return request;
  }

  has(sha: string): boolean {
    return this.cache.get(sha) !== undefined || this.inFlight.has(sha);
  }

  /** Fetches blobs not cached yet in batches; what a batch cannot give is fetched alone. */
  async prefetchBatched(
    shas: string[],
    batchSize: number,
    fetchMany: (shas: string[]) => Promise<Map<string, Uint8Array | null>>,
    fetchOne: (sha: string) => Promise<Uint8Array>,
  ): Promise<void> {
    const missing = [...new Set(shas)].filter((sha) => !this.has(sha));
    const groups: string[][] = [];
    for (let i = 0; i < missing.length; i += batchSize) groups.push(missing.slice(i, i + batchSize));
    await Promise.all(
      groups.map(async (group) => {
        let resolveAll!: (value: Map<string, Uint8Array | null>) => void;
        let rejectAll!: (error: unknown) => void;
        const answer = new Promise<Map<string, Uint8Array | null>>((resolve, reject) => {
          resolveAll = resolve;
          rejectAll = reject;
        });
        // Readers arriving meanwhile wait on the batch instead of asking again.
        for (const sha of group) {
          const one = answer
            .then((blobs) => blobs.get(sha) ?? this.limit(() => fetchOne(sha)))
            .then((bytes) => {
              this.cache.set(sha, bytes);
              return bytes;
            })
            .finally(() => this.inFlight.delete(sha));
          one.catch(() => {});
          this.inFlight.set(sha, one);
        }
        this.limit(() => fetchMany(group)).then(resolveAll, rejectAll);
        await Promise.allSettled(group.map((sha) => this.inFlight.get(sha)));
      }),
    );
  }

  get cachedBlobs(): number {
    return this.cache.size;
  }

  /** Bytes of blob content held now (at most the configured maximum). */
  get cachedBytes(): number {
    return this.cache.totalBytes;
  }
}

// ---------------------------------------------------------------- the source

/** The folders the folder source never walks into, so both sources list the same files. */
const SKIPPED_DIRS = new Set([".git", "node_modules", "dist", "build", ".next", "coverage", "vendor", ".turbo", ".cache"]);

export function underSkippedFolder(path: string): boolean {
  const parts = path.split("/");
  for (let i = 0; i < parts.length - 1; i++) if (SKIPPED_DIRS.has(parts[i])) return true;
  return false;
}

export interface GitHubSourceOptions {
  api: GitApi;
  commitSha: string;
  blobs: BlobStore;
  /** Resolves the tree once per commit; pass a shared cache to reuse trees across audits. */
  trees?: TreeCache;
  /** Largest blob fetched; larger ones are refused without downloading (the pipeline reports them). */
  maxFileBytes?: number;
  /** Blobs per batched request, when the API can batch (default GRAPHQL_BLOB_BATCH). */
  batchSize?: number;
  /**
   * Files known at this commit from elsewhere (a pull request's own file list, with blob SHAs). When
   * GitHub truncates the tree listing, those missing from it are added, so the files a pull request
   * changes are audited even in a tree too large to list.
   */
  knownFiles?: TreeEntry[];
}

/** A file the source could not give: `fault` is GitHub failing (a 404 or 5xx on a blob), not a size limit. */
export interface ReadProblem {
  path: string;
  message: string;
  fault: boolean;
  /** The HTTP status GitHub answered, when it answered one. */
  status?: number;
}

/** A file refused by the size limit without downloading it: a decision, not a fault. */
class SkippedFile extends Error {}

export interface GitHubSource extends Source {
  /** The commit's tree (one API call, made on first use). */
  tree(): Promise<CommitTree>;
  /**
   * Fetches, in parallel, every blob the pipeline will read (it reads one file after another),
   * so the audit that follows runs on cached bytes. Failures are left for read() to report.
   */
  prefetch(wanted: (path: string) => boolean): Promise<{ blobs: number; bytes: number }>;
  /** Every read() that failed so far, in order; an audit with a fault here has no verdict. */
  readProblems(): ReadProblem[];
  /** Paths of `knownFiles` added because the tree listing was truncated. */
  supplemented(): string[];
}

export function githubSource(options: GitHubSourceOptions): GitHubSource {
  const { api, commitSha, blobs } = options;
  const maxBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  const trees: TreeCache = options.trees ?? new Map<string, Promise<CommitTree>>();
  let byPath: Map<string, TreeEntry> | null = null;
  const problems: ReadProblem[] = [];
  const added: string[] = [];

  const tree = (): Promise<CommitTree> => {
    let pending = trees.get(commitSha);
    if (!pending) {
      pending = api.getTree(commitSha);
      trees.set(commitSha, pending);
      // A failed listing must not poison the cache for the next attempt.
      pending.catch(() => trees.delete(commitSha));
    }
    return pending;
  };

  const entries = async (): Promise<Map<string, TreeEntry>> => {
    if (!byPath) {
      const t = await tree();
      const map = new Map(t.files.map((f) => [f.path, f]));
      if (t.truncated) {
        for (const known of options.knownFiles ?? []) {
          if (map.has(known.path)) continue;
          map.set(known.path, known);
          added.push(known.path);
        }
      }
      byPath = map;
    }
    return byPath;
  };

  const fetchEntry = (entry: TreeEntry): Promise<Uint8Array> => {
    if (entry.size !== undefined && entry.size > maxBytes) {
      return Promise.reject(
        new SkippedFile(`larger than ${maxBytes / 1024 / 1024} MiB (${(entry.size / 1024 / 1024).toFixed(1)} MiB), skipped`),
      );
    }
    return blobs.get(entry.sha, (sha) => api.getBlob(sha));
  };

  return {
    tree,
    async prefetch(wanted) {
      const map = await entries();
      const picked = [...map.values()].filter((e) => wanted(e.path) && (e.size ?? 0) <= maxBytes);
      if (api.getBlobs) {
        const getBlobs = api.getBlobs.bind(api);
        await blobs.prefetchBatched(picked.map((e) => e.sha), options.batchSize ?? GRAPHQL_BLOB_BATCH, getBlobs, (sha) => api.getBlob(sha));
      }
      const results = await Promise.allSettled(picked.map(fetchEntry));
      let bytes = 0;
      for (const r of results) if (r.status === "fulfilled") bytes += r.value.length;
      return { blobs: picked.length, bytes };
    },
    async list(): Promise<SourceFile[]> {
      const map = await entries();
      return [...map.values()]
        .filter((e) => !underSkippedFolder(e.path))
        .map((e) => ({ path: e.path, size: e.size }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async read(path: string): Promise<Uint8Array> {
      const map = await entries();
      const entry = map.get(path);
      try {
        if (!entry) throw new Error(`no such file in commit ${commitSha.slice(0, 7)}`);
        return await fetchEntry(entry);
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        problems.push({
          path,
          message: (error as Error).message,
          fault: !(error instanceof SkippedFile),
          ...(typeof status === "number" ? { status } : {}),
        });
        throw error;
      }
    },
    readProblems: () => [...problems],
    supplemented: () => [...added],
  };
}

// ---------------------------------------------------------------- pull request files and hunks

/** GitHub's cap on the pull request files listing. */
export const PULL_FILES_LIMIT = 3000;

export interface ChangedFile {
  path: string;
  status: string;
  previousPath?: string;
  /** New-file (RIGHT side) line numbers inside the diff's hunks: only these can carry review comments. */
  rightLines: Set<number>;
  /** Hunks as new-file line ranges, inclusive; a multi-line comment must stay inside one. */
  hunks: Array<{ start: number; end: number }>;
  /** False when GitHub sent no patch (binary or too large a diff): no line can carry a comment. */
  hasPatch: boolean;
  /** The file's blob SHA at the head, as the listing gives it (absent for removed files). */
  blobSha?: string;
}

export interface PullRequestFiles {
  files: ChangedFile[];
  /** The listing stopped at GitHub's 3,000-file cap: more files changed than we can see. */
  truncated: boolean;
}

/** Parses a unified diff `patch` into the new-file lines a review comment can sit on. */
export function parsePatch(patch: string): { rightLines: Set<number>; hunks: Array<{ start: number; end: number }> } {
  const rightLines = new Set<number>();
  const hunks: Array<{ start: number; end: number }> = [];
  let line = 0;
  let current: { start: number; end: number } | null = null;
  const body = patch.endsWith("\n") ? patch.slice(0, -1) : patch;
  for (const text of body.split("\n")) {
    const header = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(text);
    if (header) {
      line = Number(header[1]);
      current = { start: line, end: line - 1 };
      hunks.push(current);
      continue;
    }
    if (!current) continue;
    // "-" lines exist only on the left; "\ No newline at end of file" is not a line.
    // A blank context line may arrive with its leading space stripped ("").
    if (text.startsWith("+") || text.startsWith(" ") || text === "") {
      rightLines.add(line);
      current.end = line;
      line++;
    }
  }
  return { rightLines, hunks: hunks.filter((h) => h.end >= h.start) };
}

/** `changedFiles` is the pull request's own count, when known: fewer listed means the listing was cut. */
export async function listPullRequestFiles(
  octokit: OctokitLike,
  params: { owner: string; repo: string; pull_number: number },
  changedFiles?: number,
): Promise<PullRequestFiles> {
  const files: ChangedFile[] = [];
  const perPage = 100;
  for (let page = 1; ; page++) {
    const { data } = await octokit.rest.pulls.listFiles({ ...params, per_page: perPage, page });
    for (const f of data) {
      const parsed = f.patch ? parsePatch(f.patch) : { rightLines: new Set<number>(), hunks: [] };
      files.push({
        path: f.filename,
        status: f.status,
        previousPath: f.previous_filename,
        rightLines: parsed.rightLines,
        hunks: parsed.hunks,
        hasPatch: Boolean(f.patch),
        ...(f.sha && f.status !== "removed" ? { blobSha: f.sha } : {}),
      });
    }
    if (data.length < perPage || files.length >= PULL_FILES_LIMIT) break;
  }
  const truncated = changedFiles !== undefined ? files.length < changedFiles : files.length >= PULL_FILES_LIMIT;
  return { files, truncated };
}
