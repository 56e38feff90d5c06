// Retries for the publishing steps. Each step (completing the check run, the review, each reply,
// the summary comment) is retried on its own, so one that keeps failing never undoes another.
// Octokit's retry plugin already repeats a request a few times; this covers outages longer than that.

export interface RetryPolicy {
  /** Attempts in all, the first included (default 3). */
  attempts: number;
  /** Wait before the second attempt, in milliseconds; doubled each time (default 2,000). */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 2_000 };

/** True for errors worth trying again: no HTTP answer at all, a 5xx, or a rate limit (403/429 with a wait). */
export function isTransient(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  if (typeof status !== "number") return true;
  if (status >= 500) return true;
  if (status === 429) return true;
  if (status === 403) {
    const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
    return headers["retry-after"] !== undefined || headers["x-ratelimit-remaining"] === "0";
  }
  return false;
}

/** Runs `step`, trying again after transient errors with exponential backoff; rethrows the last error. */
export async function withRetries<T>(step: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  let delay = policy.baseDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}
