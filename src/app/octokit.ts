// The Octokit the app runs with: Probot's, with rate limits waited out and retried a bounded number
// of times. Probot's defaults only log a secondary rate limit (and give up), which turned a 403
// with `retry-after` on creating the check run into a failed audit. Rules followed: GitHub's REST
// docs, "Rate limits for the REST API" (wait `retry-after` seconds on a secondary limit, or until
// `x-ratelimit-reset` on the primary one), and @octokit/plugin-throttling's handler contract
// (return true to retry after the wait it computed).
import { ProbotOctokit } from "probot";
import { metricsPlugin } from "./metrics.js";

/** Retries after a rate limit, per request. */
export const RATE_LIMIT_RETRIES = 3;
/** Longest wait for one rate-limit retry, in seconds; a primary limit resetting later than this fails the call. */
export const MAX_RATE_LIMIT_WAIT_S = 120;

interface RequestOptions {
  method?: string;
  url?: string;
}
interface Logger {
  warn(message: string): void;
}

function handler(kind: string) {
  return (retryAfter: number, options: RequestOptions, octokit: { log: Logger }, retryCount: number): boolean => {
    const retry = retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_S;
    octokit.log.warn(
      `${kind} on ${options.method} ${options.url}: ${retry ? `retrying in ${retryAfter} s (retry ${retryCount + 1} of ${RATE_LIMIT_RETRIES})` : "giving up"}`,
    );
    return retry;
  };
}

/** Throttle settings merged over whatever Probot set (its Bottleneck groups, Redis connection). */
export function rateLimitHandlers(): { onRateLimit: ReturnType<typeof handler>; onSecondaryRateLimit: ReturnType<typeof handler> } {
  return { onRateLimit: handler("Rate limit"), onSecondaryRateLimit: handler("Secondary rate limit") };
}

/**
 * ProbotOctokit with bounded waits on rate limits. 5xx answers are retried by Probot's retry plugin
 * (3 retries, waits of 1, 4 and 9 s); publishing steps add their own retries on top (./retry.ts).
 */
export const IndexAuditOctokit = ProbotOctokit.plugin(metricsPlugin).defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as Record<string, unknown> | undefined), ...rateLimitHandlers() },
}));
