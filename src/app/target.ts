// What an audit is about, shared by the audit run, the queue and the app's handlers.
import type { ProbotOctokit } from "probot";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface AuditTarget {
  owner: string;
  repo: string;
  headSha: string;
  /** The pull request, when there is one: comments go there and the merge base is the comparison. */
  pull: { number: number; baseSha: string; /** The pull request's `changed_files`, when the event carries it. */ changedFiles?: number } | null;
  /** Without a pull request: the commit to compare with (e.g. the push's `before`), or null. */
  compareWith: string | null;
  /** Why the audit runs, for logs. */
  reason: string;
  /** The webhook delivery that started it (`X-GitHub-Delivery`), for logs. */
  delivery?: string;
}
