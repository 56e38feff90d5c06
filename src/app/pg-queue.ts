// The audit queue in PostgreSQL, through pg-boss (SKIP LOCKED job fetching): jobs survive restarts,
// and every instance works the same queue, each running at most `concurrency` audits at a time.
import PgBoss from "pg-boss";
import type { AuditJob, AuditQueue, QueueLimits, QueueStats } from "./queue.js";

export const QUEUE_NAME = "index-audit-audits";
const SCHEMA = "index_audit_queue";

export interface PgQueueOptions {
  connectionString: string;
  limits: QueueLimits;
  /** Longest an audit may run before pg-boss considers it lost and hands it to another worker (seconds). */
  expireInSeconds: number;
  /** How often an idle worker looks for jobs (seconds; pg-boss's minimum is 0.5). */
  pollingIntervalSeconds?: number;
}

/**
 * Starts pg-boss in its own schema (`index_audit_queue`, created or migrated on start) and creates the
 * queue. A job is attempted once: an audit that fails has already completed its check run with the
 * reason, and the next push or a Re-audit runs it again.
 * @throws the driver's error when the server cannot be reached.
 */
export async function startPgQueue(options: PgQueueOptions): Promise<PgAuditQueue> {
  const boss = new PgBoss({ connectionString: options.connectionString, schema: SCHEMA, max: 4, supervise: true, schedule: false });
  boss.on("error", () => {});
  await boss.start();
  await ensureQueue(boss, options.expireInSeconds);
  return new PgAuditQueue(boss, options);
}

/**
 * Creates the queue unless it exists. Instances starting together race on `create_queue`, whose
 * partition and foreign key can deadlock (40P01) or hit a duplicate key; the loser waits for the
 * winner's commit and finds the queue. Three attempts, 0.2 s, 0.4 s and 0.8 s apart.
 * @throws the last error when the queue still does not exist after the attempts.
 */
async function ensureQueue(boss: PgBoss, expireInSeconds: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (await boss.getQueue(QUEUE_NAME)) return;
    try {
      await boss.createQueue(QUEUE_NAME, { name: QUEUE_NAME, retryLimit: 0, expireInSeconds });
      return;
    } catch (error) {
      if (attempt >= 3) {
        if (await boss.getQueue(QUEUE_NAME)) return;
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    }
  }
}

export class PgAuditQueue implements AuditQueue {
  readonly kind = "postgresql";

  constructor(
    private readonly boss: PgBoss,
    private readonly options: PgQueueOptions,
  ) {}

  async push(job: AuditJob): Promise<void> {
    const { octokit: _local, ...stored } = job;
    await this.boss.send(QUEUE_NAME, stored);
  }

  async start(run: (job: AuditJob) => Promise<void>): Promise<void> {
    // pg-boss 10 runs one batch per worker at a time: `concurrency` workers of one job each.
    for (let i = 0; i < this.options.limits.concurrency; i++) {
      await this.boss.work<AuditJob>(QUEUE_NAME, { batchSize: 1, pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 2 }, async ([job]) => {
        await run(job.data);
      });
    }
  }

  async stats(): Promise<QueueStats> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(`SELECT count(*)::int AS waiting, coalesce(extract(epoch FROM now() - min(created_on)), 0)::float AS oldest FROM ${SCHEMA}.job WHERE name = $1 AND state IN ('created', 'retry')`, [QUEUE_NAME]);
    return { waiting: rows[0].waiting as number, oldestWaitingSeconds: rows[0].oldest as number };
  }

  async stop(): Promise<AuditJob[]> {
    // Waiting jobs stay in PostgreSQL for the other instances, or for the next start.
    await this.boss.offWork(QUEUE_NAME);
    await this.boss.stop({ graceful: false, close: true, wait: true }).catch(() => {});
    return [];
  }
}
