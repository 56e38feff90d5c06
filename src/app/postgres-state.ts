// The shared state (./shared-state.ts) in PostgreSQL, through node-postgres: what several instances
// behind one webhook URL must agree on, kept across restarts. Every claim is one statement whose
// outcome PostgreSQL decides (INSERT … ON CONFLICT DO NOTHING, a conditional upsert), so two
// instances racing for the same delivery, audit or lease get one winner without explicit locks.
import pg from "pg";
import type { Generation, SharedState, SummaryComment } from "./shared-state.js";

/** The app's tables, in their own schema; created on start if missing (idempotent). */
const SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS index_audit;
CREATE TABLE IF NOT EXISTS index_audit.claims (
  kind text NOT NULL,
  key text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS claims_claimed_at_idx ON index_audit.claims (claimed_at);
CREATE TABLE IF NOT EXISTS index_audit.summary_comments (
  pull_key text PRIMARY KEY,
  comment_id bigint NOT NULL,
  body text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE IF NOT EXISTS index_audit.generation_seq;
CREATE TABLE IF NOT EXISTS index_audit.generations (
  pull_key text PRIMARY KEY,
  generation bigint NOT NULL,
  head_sha text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS index_audit.leases (
  pull_key text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
`;

/** Claims older than this are forgotten: GitHub redelivers within days, not weeks. */
const CLAIM_RETENTION = "14 days";
const PRUNE_EVERY_MS = 60 * 60_000;

export interface PostgresStateOptions {
  /** A libpq connection string (`postgres://user:pass@host:5432/db`, or `host=/run/postgresql dbname=…`). */
  connectionString: string;
  /** Connections in the pool (default 4): each statement is short. */
  maxConnections?: number;
}

/**
 * Connects, creates the app's schema if missing, and returns the shared state.
 * @throws the driver's error when the server cannot be reached or the role may not create the schema.
 */
export async function connectPostgresState(options: PostgresStateOptions): Promise<PostgresSharedState> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 4 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  try {
    // Two instances starting together would race on CREATE … IF NOT EXISTS; a transaction-level
    // advisory lock makes the second wait for the first.
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext('index_audit.schema'))");
      await client.query(SCHEMA_SQL);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return new PostgresSharedState(pool);
}

export class PostgresSharedState implements SharedState {
  readonly kind = "postgresql";
  private readonly pruneTimer: ReturnType<typeof setInterval>;

  constructor(private readonly pool: pg.Pool) {
    void this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  private async claim(kind: string, key: string): Promise<boolean> {
    const result = await this.pool.query("INSERT INTO index_audit.claims (kind, key) VALUES ($1, $2) ON CONFLICT DO NOTHING", [kind, key]);
    return result.rowCount === 1;
  }

  firstDelivery(id: string): Promise<boolean> {
    return this.claim("delivery", id);
  }
  claimAudit(key: string): Promise<boolean> {
    return this.claim("audit", key);
  }
  async releaseAudit(key: string): Promise<void> {
    await this.pool.query("DELETE FROM index_audit.claims WHERE kind = 'audit' AND key = $1", [key]);
  }
  claimDeniedReply(key: string): Promise<boolean> {
    return this.claim("denied", key);
  }

  async summaryComment(pullKey: string): Promise<SummaryComment | undefined> {
    const { rows } = await this.pool.query<{ comment_id: string; body: string }>("SELECT comment_id, body FROM index_audit.summary_comments WHERE pull_key = $1", [pullKey]);
    return rows[0] ? { id: Number(rows[0].comment_id), body: rows[0].body } : undefined;
  }
  async saveSummaryComment(pullKey: string, comment: SummaryComment): Promise<void> {
    await this.pool.query(
      `INSERT INTO index_audit.summary_comments (pull_key, comment_id, body) VALUES ($1, $2, $3)
       ON CONFLICT (pull_key) DO UPDATE SET comment_id = EXCLUDED.comment_id, body = EXCLUDED.body, updated_at = now()`,
      [pullKey, comment.id, comment.body],
    );
  }
  async forgetSummaryComment(pullKey: string): Promise<void> {
    await this.pool.query("DELETE FROM index_audit.summary_comments WHERE pull_key = $1", [pullKey]);
  }

  async beginGeneration(pullKey: string, headSha: string): Promise<Generation> {
    const { rows } = await this.pool.query<{ generation: string; head_sha: string }>(
      `INSERT INTO index_audit.generations (pull_key, generation, head_sha) VALUES ($1, nextval('index_audit.generation_seq'), $2)
       ON CONFLICT (pull_key) DO UPDATE SET generation = EXCLUDED.generation, head_sha = EXCLUDED.head_sha, started_at = now()
       RETURNING generation, head_sha`,
      [pullKey, headSha],
    );
    return { generation: Number(rows[0].generation), headSha: rows[0].head_sha };
  }
  async currentGeneration(pullKey: string): Promise<Generation | null> {
    const { rows } = await this.pool.query<{ generation: string; head_sha: string }>("SELECT generation, head_sha FROM index_audit.generations WHERE pull_key = $1", [pullKey]);
    return rows[0] ? { generation: Number(rows[0].generation), headSha: rows[0].head_sha } : null;
  }

  async acquireLease(pullKey: string, holder: string, ttlMs: number): Promise<boolean> {
    // Taken when free, expired, or already this holder's; the row's lock makes racing upserts wait.
    const result = await this.pool.query(
      `INSERT INTO index_audit.leases (pull_key, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3 / 1000.0))
       ON CONFLICT (pull_key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE index_audit.leases.holder = EXCLUDED.holder OR index_audit.leases.expires_at < now()`,
      [pullKey, holder, ttlMs],
    );
    return result.rowCount === 1;
  }
  async releaseLease(pullKey: string, holder: string): Promise<void> {
    await this.pool.query("DELETE FROM index_audit.leases WHERE pull_key = $1 AND holder = $2", [pullKey, holder]);
  }

  /** Forgets old claims and expired leases; a failure is retried at the next prune. */
  private async prune(): Promise<void> {
    await this.pool
      .query(`DELETE FROM index_audit.claims WHERE claimed_at < now() - interval '${CLAIM_RETENTION}'; DELETE FROM index_audit.leases WHERE expires_at < now() - interval '1 hour'`)
      .catch(() => {});
  }

  async check(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.pool.end();
  }
}
