// What the app keeps in memory between webhooks: caches that make the next push cheap and the
// bookkeeping that keeps overlapping deliveries from doing things twice. Nothing here is required
// for correctness across restarts: markers in GitHub's own data are the durable record.
import { BlobStore, type CommitTree, type ReadProblem } from "../source/github-source.js";
import type { Finding } from "../core/types.js";
import { ALL_RULES } from "../rules/index.js";
import { BoundedMap, RunRegistry } from "./runs.js";
import { WeighedCache } from "./weighed-cache.js";
import { DEFAULT_QUEUE_LIMITS, MemoryAuditQueue, type AuditQueue, type QueueLimits } from "./queue.js";
import { DEFAULT_LEASE_TIMING, MemorySharedState, type LeaseTiming, type SharedState } from "./shared-state.js";
import { FileMemo } from "../core/memo.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";

/** One commit's audit as the app caches it. */
export interface CommitAudit {
  findings: Finding[];
  treeTruncated: boolean;
  /** Files the audit could not read; one with `fault` means the result must not be trusted or cached. */
  readProblems: ReadProblem[];
  /** Files added from the pull request's own list because the tree listing was truncated. */
  supplemented: string[];
}

/** What this process knows of a pull request's inline threads, read once from GitHub per process. */
export interface KnownThreads {
  /** Finding id → id of the top-level review comment that carries its marker. */
  threads: Map<string, number>;
  /** Finding ids whose thread already has a "fixed" reply. */
  fixedReplies: Set<string>;
}

/** A tree listing's bytes: each entry's path and SHA as JS strings (2 bytes a character) plus object overhead. */
function treeBytes(tree: CommitTree): number {
  let bytes = 64;
  for (const f of tree.files) bytes += 2 * (f.path.length + f.sha.length) + 96;
  return bytes;
}

/** An audit result's bytes, estimated from its findings serialised (a few times smaller than the objects; doubled). */
function auditBytes(audit: CommitAudit): number {
  return 2 * 2 * JSON.stringify(audit.findings).length + 256 * (audit.readProblems.length + audit.supplemented.length);
}

export interface AppStateOptions {
  /** Bytes of blob content kept in memory (default 256 MiB). */
  blobCacheBytes?: number;
  /** Estimated bytes of commit trees kept (default 64 MiB). */
  treeCacheBytes?: number;
  /** Estimated bytes of audit results kept, by commit and settings (default 64 MiB). */
  auditCacheBytes?: number;
  /** Characters of source text whose parse results are kept (default 8 Mi; the trees take some tens of bytes per character). */
  parseCacheChars?: number;
  /** Parallel blob requests (default 8). */
  concurrency?: number;
  /** Inline comments per review (default 30); the rest go to the summary. */
  maxReviewComments?: number;
  /** Rule ids the config may name; others are rejected with the nearest id. */
  knownRules?: readonly string[];
  /**
   * Fetch blobs in batches through GraphQL, one request per 100 blobs (default), instead of one REST
   * call each: a first audit of a large repository would otherwise spend thousands of calls of the
   * installation's hourly rate limit.
   */
  batchBlobs?: boolean;
  /** Attempts and backoff for each publishing step (default 3 attempts, 2 s doubling). */
  publishRetry?: RetryPolicy;
  /** Longest an audit may run before its check run is completed neutral (default 10 minutes). */
  auditTimeoutMs?: number;
  /** Owners besides the repository's own whose configuration `_extends` may name (default none). */
  extendsOwners?: readonly string[];
  /** What instances share and restarts keep (default: in memory, one instance); see ./shared-state.ts. */
  shared?: SharedState;
  /** Lease length and polling while another instance audits the same pull request. */
  leaseTiming?: LeaseTiming;
  /** Where audits wait to run (default: in memory, with `queueLimits`); see ./queue.ts. */
  queue?: AuditQueue;
  /** Audits at once, in all and per installation, for the in-memory queue (default 4 and 2). */
  queueLimits?: QueueLimits;
  /**
   * The app's public base URL (`PUBLIC_URL`, e.g. `https://index-audit.example.com`): rule links in
   * comments then point at the pages this app serves (`/docs/rules/<rule>`), matching its version.
   */
  publicUrl?: string;
}

export class AppState {
  readonly runs = new RunRegistry();
  /**
   * Deliveries handled, audits started (by pull request and commits, so two events for one push run
   * once), summary comments, the newest audit of each pull request, and the lease per pull request.
   */
  readonly shared: SharedState;
  readonly leaseTiming: LeaseTiming;
  readonly queue: AuditQueue;
  /** `<publicUrl>/docs/rules` when a public URL is configured; rule links default to the project's repository otherwise. */
  readonly docsBase: string | undefined;
  readonly blobs: BlobStore;
  /** Commit trees, bounded by an estimate of their bytes (a listing's paths and SHAs). */
  readonly trees: WeighedCache<string, CommitTree>;
  /** Each commit's audit result, bounded by an estimate of the bytes its findings hold. */
  readonly audits: WeighedCache<string, CommitAudit>;
  /** Parsed migrations and query patterns by file content, shared by every audit in this process. */
  readonly files: FileMemo;
  /** Inline threads of each pull request, read from GitHub once per process and kept current. */
  readonly threads = new BoundedMap<string, KnownThreads>(5_000);
  readonly maxReviewComments: number;
  readonly batchBlobs: boolean;
  readonly knownRules: readonly string[];
  readonly publishRetry: RetryPolicy;
  /**
   * The app's own login (`<slug>[bot]`), asked of GitHub once (`GET /app`). Markers count only in
   * comments this login wrote: anyone can paste `<!-- index-audit:… -->` into a comment of their own.
   */
  whoAmI: () => Promise<string> = () => Promise.reject(new Error("the app's login is not known yet"));
  readonly auditTimeoutMs: number;
  readonly extendsOwners: readonly string[];
  /** Audits running now, so a timeout or shutdown can complete their check runs. */
  readonly active = new Set<{ checkRunId: number | null; abandon(reason: string): Promise<void> }>();

  constructor(options: AppStateOptions = {}) {
    this.blobs = new BlobStore({ maxBytes: options.blobCacheBytes, concurrency: options.concurrency });
    this.trees = new WeighedCache(options.treeCacheBytes ?? 64 * 1024 * 1024, treeBytes);
    this.audits = new WeighedCache(options.auditCacheBytes ?? 64 * 1024 * 1024, auditBytes);
    this.files = new FileMemo(options.parseCacheChars);
    this.maxReviewComments = options.maxReviewComments ?? 30;
    this.batchBlobs = options.batchBlobs ?? true;
    this.publishRetry = options.publishRetry ?? DEFAULT_RETRY;
    this.auditTimeoutMs = options.auditTimeoutMs ?? 10 * 60_000;
    this.extendsOwners = options.extendsOwners ?? [];
    this.knownRules = options.knownRules ?? ALL_RULES.map((rule) => rule.id);
    this.shared = options.shared ?? new MemorySharedState();
    this.leaseTiming = options.leaseTiming ?? DEFAULT_LEASE_TIMING;
    this.docsBase = options.publicUrl ? `${options.publicUrl.replace(/\/+$/, "")}/docs/rules` : undefined;
    this.queue = options.queue ?? new MemoryAuditQueue(options.queueLimits ?? DEFAULT_QUEUE_LIMITS);
  }

  /**
   * Resolves once nothing runs and, for the in-memory queue, nothing waits (tests and shutdown wait
   * on it). Jobs in a PostgreSQL queue may belong to other instances and are not waited for.
   */
  async idle(): Promise<void> {
    for (;;) {
      await this.runs.idle();
      const waiting = this.queue.kind === "memory" ? (await this.queue.stats()).waiting : 0;
      if (waiting === 0 && this.runs.size === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
