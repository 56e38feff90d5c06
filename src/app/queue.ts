// Audits wait in a queue and run a bounded number at a time: a burst of pull requests (50 opened at
// once, a rebase of a stack) would otherwise start every audit together, each holding its files and
// parse trees, all slowed alike. In memory by default (one instance); with DATABASE_URL in PostgreSQL
// through pg-boss (./pg-queue.ts), so that waiting audits survive a restart and any instance runs them.
import type { AuditTarget, Octokit } from "./target.js";

/** One audit waiting to run: everything needed to run it, as data (pg-boss stores it as JSON). */
export interface AuditJob {
  target: AuditTarget;
  /** The installation whose token the audit uses; null only in tests that pass an Octokit directly. */
  installationId: number | null;
  /** The check run created `queued` when the job was queued; the audit takes it over. */
  checkRunId: number | null;
  /** The pull request's generation when the job was queued (./shared-state.ts): a newer one makes it stale. */
  generation: number | null;
  /** The automatic-audit claim to give back when the audit fails, so the next event retries it. */
  onceKey: string | null;
  /** Milliseconds since the epoch. */
  queuedAt: number;
  /** The client to audit with, when the job never leaves this process (not stored by pg-boss). */
  octokit?: Octokit;
}

export interface QueueStats {
  /** Audits waiting to start. */
  waiting: number;
  /** Age of the oldest waiting audit (seconds); 0 when none waits. */
  oldestWaitingSeconds: number;
}

export interface AuditQueue {
  readonly kind: "memory" | "postgresql";
  /** Queues the job; resolves once it is stored, rejects once the queue was stopped. */
  push(job: AuditJob): Promise<void>;
  /** Starts running jobs with `run`, at most the configured number at a time. */
  start(run: (job: AuditJob) => Promise<void>): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Stops starting jobs; running ones go on. Returns the jobs still waiting here (memory only). */
  stop(): Promise<AuditJob[]>;
}

export interface QueueLimits {
  /** Audits running at once in this process (default 4). */
  concurrency: number;
  /** Audits of one installation running at once in this process (default 2), so one busy installation cannot hold every slot. */
  perInstallation: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { concurrency: 4, perInstallation: 2 };

/**
 * The in-memory queue: first in, first out, except that a job whose installation already runs its
 * share waits behind jobs of other installations. Lost on restart; the check runs it leaves `queued`
 * are completed by the stale check-run sweep, or neutralised on SIGTERM.
 */
export class MemoryAuditQueue implements AuditQueue {
  readonly kind = "memory";
  private readonly waiting: AuditJob[] = [];
  private readonly runningBy = new Map<string, number>();
  private running = 0;
  private run: ((job: AuditJob) => Promise<void>) | null = null;
  private stopped = false;

  constructor(private readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS) {}

  async push(job: AuditJob): Promise<void> {
    if (this.stopped) throw new Error("the app is stopping and takes no more audits");
    this.waiting.push(job);
    this.pump();
  }

  async start(run: (job: AuditJob) => Promise<void>): Promise<void> {
    this.run = run;
    this.pump();
  }

  async stats(): Promise<QueueStats> {
    const oldest = this.waiting.reduce((min, job) => Math.min(min, job.queuedAt), Infinity);
    return { waiting: this.waiting.length, oldestWaitingSeconds: this.waiting.length ? (Date.now() - oldest) / 1000 : 0 };
  }

  async stop(): Promise<AuditJob[]> {
    this.stopped = true;
    return this.waiting.splice(0);
  }

  private pump(): void {
    while (this.run && !this.stopped && this.running < this.limits.concurrency) {
      const index = this.waiting.findIndex((job) => (this.runningBy.get(installationOf(job)) ?? 0) < this.limits.perInstallation);
      if (index < 0) return;
      const [job] = this.waiting.splice(index, 1);
      const installation = installationOf(job);
      this.running++;
      this.runningBy.set(installation, (this.runningBy.get(installation) ?? 0) + 1);
      void this.run(job)
        .catch(() => {})
        .finally(() => {
          this.running--;
          const left = (this.runningBy.get(installation) ?? 1) - 1;
          if (left === 0) this.runningBy.delete(installation);
          else this.runningBy.set(installation, left);
          this.pump();
        });
    }
  }
}

const installationOf = (job: AuditJob) => String(job.installationId ?? `${job.target.owner}`);
