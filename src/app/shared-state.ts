// What every instance of the app must agree on, and what must survive a restart: which deliveries
// were handled, which audits were started, which comment is a pull request's summary, which head of
// a pull request is the newest, and which instance audits a pull request now. One instance keeps it
// in memory (the default); with DATABASE_URL set it lives in PostgreSQL (./postgres-state.ts), so
// that instances behind one webhook URL never audit, comment or summarise a pull request twice.
import { RecentKeys } from "./runs.js";

/** A pull request's summary comment, once found or made, and the body last written to it. */
export interface SummaryComment {
  id: number;
  body: string;
}

/** The newest audit started for a pull request: its number grows with every start, across instances. */
export interface Generation {
  generation: number;
  headSha: string;
}

export interface SharedState {
  /** "memory" or "postgresql", for logs and `/ready`. */
  readonly kind: "memory" | "postgresql";
  /** True the first time a delivery id (`X-GitHub-Delivery`) is seen; GitHub redelivers with the same id. */
  firstDelivery(id: string): Promise<boolean>;
  /** Claims an automatic audit (pull request, head and base); false when another event already did. */
  claimAudit(key: string): Promise<boolean>;
  /** Gives a claim back, so that the next event for the same commits audits them again (after a failure). */
  releaseAudit(key: string): Promise<void>;
  /** Claims the one reply telling a person (key: pull request and login) they lack write access. */
  claimDeniedReply(key: string): Promise<boolean>;
  summaryComment(pullKey: string): Promise<SummaryComment | undefined>;
  saveSummaryComment(pullKey: string, comment: SummaryComment): Promise<void>;
  forgetSummaryComment(pullKey: string): Promise<void>;
  /** Records a new audit of `headSha` as the pull request's newest; older ones then publish nothing. */
  beginGeneration(pullKey: string, headSha: string): Promise<Generation>;
  /** The newest audit started for the pull request, or null when none is known. */
  currentGeneration(pullKey: string): Promise<Generation | null>;
  /**
   * Takes the pull request's lease for `holder` (one audit) for `ttlMs`, or renews it; false while
   * another holder's lease is unexpired. A crashed holder's lease simply expires.
   */
  acquireLease(pullKey: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(pullKey: string, holder: string): Promise<void>;
  /** Resolves when the store answers (for `/ready`); rejects with the driver's error otherwise. */
  check(): Promise<void>;
  /** Releases connections; the in-memory state has none. */
  close(): Promise<void>;
}

/**
 * One instance's state, in memory: bounded key sets and maps, lost on restart (markers in GitHub's
 * own data then keep comments from being written twice). Leases are always granted, since audits of
 * one pull request in one process already supersede each other through generations.
 */
export class MemorySharedState implements SharedState {
  readonly kind = "memory";
  private readonly deliveries = new RecentKeys(5_000);
  private readonly audits = new RecentKeys(5_000);
  private readonly denied = new RecentKeys(5_000);
  private readonly summaries = new Map<string, SummaryComment>();
  private readonly generations = new Map<string, Generation>();
  private counter = 0;

  async firstDelivery(id: string): Promise<boolean> {
    return this.deliveries.add(id);
  }
  async claimAudit(key: string): Promise<boolean> {
    return this.audits.add(key);
  }
  async releaseAudit(key: string): Promise<void> {
    this.audits.delete(key);
  }
  async claimDeniedReply(key: string): Promise<boolean> {
    return this.denied.add(key);
  }
  async summaryComment(pullKey: string): Promise<SummaryComment | undefined> {
    return this.summaries.get(pullKey);
  }
  async saveSummaryComment(pullKey: string, comment: SummaryComment): Promise<void> {
    this.summaries.delete(pullKey);
    this.summaries.set(pullKey, comment);
    if (this.summaries.size > 5_000) this.summaries.delete(this.summaries.keys().next().value as string);
  }
  async forgetSummaryComment(pullKey: string): Promise<void> {
    this.summaries.delete(pullKey);
  }
  async beginGeneration(pullKey: string, headSha: string): Promise<Generation> {
    const generation = { generation: ++this.counter, headSha };
    this.generations.delete(pullKey);
    this.generations.set(pullKey, generation);
    if (this.generations.size > 5_000) this.generations.delete(this.generations.keys().next().value as string);
    return generation;
  }
  async currentGeneration(pullKey: string): Promise<Generation | null> {
    return this.generations.get(pullKey) ?? null;
  }
  async acquireLease(): Promise<boolean> {
    return true;
  }
  async releaseLease(): Promise<void> {}
  async check(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A held lease: renewed in the background until released. */
export interface HeldLease {
  release(): Promise<void>;
}

export interface LeaseTiming {
  /** How long a lease lasts without renewal (ms); a crashed holder's lease frees after this. */
  ttlMs: number;
  /** Between two attempts while another holder has it (ms). */
  pollMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { ttlMs: 60_000, pollMs: 1_000 };

/**
 * Waits for the pull request's lease and keeps it renewed (every third of its TTL) until released.
 * Gives up, answering null, as soon as `stillWanted` says the audit no longer matters (a newer audit
 * of the pull request began, or this one was abandoned).
 */
export async function holdLease(
  shared: SharedState,
  pullKey: string,
  stillWanted: () => Promise<boolean>,
  timing: LeaseTiming = DEFAULT_LEASE_TIMING,
): Promise<HeldLease | null> {
  const holder = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  while (!(await shared.acquireLease(pullKey, holder, timing.ttlMs))) {
    if (!(await stillWanted())) return null;
    await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
  }
  const renew = setInterval(() => void shared.acquireLease(pullKey, holder, timing.ttlMs).catch(() => {}), Math.max(1, Math.floor(timing.ttlMs / 3)));
  renew.unref();
  return {
    release: async () => {
      clearInterval(renew);
      await shared.releaseLease(pullKey, holder);
    },
  };
}
