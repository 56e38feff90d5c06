// Prometheus metrics (prom-client), served at GET /metrics by the app's server: audits by outcome
// and conclusion, audit duration, GitHub API calls and errors by route, audits running and waiting
// to finish, and the bytes held by the blob cache.
import type { QueueStats } from "./queue.js";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the gauges read when scraped. */
export interface WatchedState {
  running: () => number;
  cacheBytes: () => number;
  /** Each cache's size in its own bound's unit: bytes (estimated for trees and audits), characters for parses. */
  caches?: () => Record<string, number>;
  queue: () => Promise<QueueStats>;
}

export class AppMetrics {
  readonly registry = new Registry();
  readonly audits = new Counter({
    name: "index_audit_audits_total",
    help: "Audits finished, by outcome (completed, nothing-relevant, config-error, superseded, unreadable, timed-out, error) and check-run conclusion.",
    labelNames: ["outcome", "conclusion"] as const,
    registers: [this.registry],
  });
  readonly auditDuration = new Histogram({
    name: "index_audit_audit_duration_seconds",
    help: "Wall time of one audit, from the webhook to the last publishing call.",
    labelNames: ["outcome"] as const,
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly githubRequests = new Counter({
    name: "index_audit_github_requests_total",
    help: "GitHub API requests, by method, route template and status (0: no answer).",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  readonly githubErrors = new Counter({
    name: "index_audit_github_request_errors_total",
    help: "GitHub API requests that failed (after Octokit's own retries), by method and route template.",
    labelNames: ["method", "route"] as const,
    registers: [this.registry],
  });

  readonly queueWait = new Histogram({
    name: "index_audit_queue_wait_seconds",
    help: "Time an audit waited in the queue before it started.",
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });

  private reader: WatchedState = { running: () => 0, cacheBytes: () => 0, queue: async () => ({ waiting: 0, oldestWaitingSeconds: 0 }) };

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "index_audit_" });
    const reader = () => this.reader;
    new Gauge({
      name: "index_audit_audits_running",
      help: "Audits running now (the work this process holds).",
      registers: [this.registry],
      collect() {
        this.set(reader().running());
      },
    });
    new Gauge({
      name: "index_audit_queue_waiting",
      help: "Audits waiting in the queue (all instances' when the queue is in PostgreSQL).",
      registers: [this.registry],
      async collect() {
        this.set((await reader().queue().catch(() => ({ waiting: Number.NaN }))).waiting);
      },
    });
    new Gauge({
      name: "index_audit_queue_oldest_waiting_seconds",
      help: "Age of the oldest audit waiting in the queue (0 when none waits).",
      registers: [this.registry],
      async collect() {
        this.set((await reader().queue().catch(() => ({ oldestWaitingSeconds: Number.NaN }))).oldestWaitingSeconds);
      },
    });
    new Gauge({
      name: "index_audit_cache_size",
      help: "What each cache holds, in the unit it is bounded by: blobs, trees and audits in bytes (trees and audits estimated), parses in characters of source text.",
      labelNames: ["cache"] as const,
      registers: [this.registry],
      collect() {
        for (const [cache, size] of Object.entries(reader().caches?.() ?? {})) this.set({ cache }, size);
      },
    });
    new Gauge({
      name: "index_audit_blob_cache_bytes",
      help: "Bytes of file contents held by the blob cache (bounded by its configured size).",
      registers: [this.registry],
      collect() {
        this.set(reader().cacheBytes());
      },
    });
  }

  /** Where the gauges read the app's state when scraped (the last server started in this process). */
  watch(read: WatchedState): void {
    this.reader = read;
  }
}

/** The process's metrics; the Octokit plugin and the server share them. */
export const metrics = new AppMetrics();

interface RequestOptions {
  method?: string;
  url?: string;
}
interface HookedOctokit {
  hook: { wrap(name: "request", wrapper: (request: (options: RequestOptions) => Promise<{ status: number }>, options: RequestOptions) => Promise<unknown>): void };
}

/** Octokit plugin counting each request by route template (`/repos/{owner}/{repo}/…`, never the filled-in path). */
export function metricsPlugin(octokit: unknown): void {
  (octokit as HookedOctokit).hook.wrap("request", async (request, options) => {
    const method = options.method ?? "GET";
    const route = (options.url ?? "").split("?")[0];
    try {
      const response = await request(options);
      metrics.githubRequests.inc({ method, route, status: String(response.status) });
      return response;
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      metrics.githubRequests.inc({ method, route, status: String(status) });
      metrics.githubErrors.inc({ method, route });
      throw error;
    }
  });
}
