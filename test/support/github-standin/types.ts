import type { ObjectReader } from "./git.js";
import type { RepoRef } from "./shapes.js";

export type Permission = "admin" | "write" | "read" | "none";

export interface StandinOptions {
  /** The installation every repository belongs to. */
  installationId?: number;
  /** The app's slug; its bot login is `${appSlug}[bot]`. */
  appSlug?: string;
  appId?: number;
  /** Recursive trees with more entries than this answer `truncated: true`. */
  treeEntryLimit?: number;
  /** GitHub lists at most 3,000 files of a pull request. */
  pullFilesLimit?: number;
  /** GraphQL `Blob.text` longer than this many bytes is cut and `isTruncated: true` (default: never). */
  graphqlBlobTextLimit?: number;
  /** Check every request against GitHub's OpenAPI description (default true). */
  validate?: boolean;
  /** Value of `x-ratelimit-limit`. */
  rateLimit?: number;
  /** Also check JSON responses against the documented response schemas (for testing the stand-in itself). */
  validateResponses?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The OpenAPI path template, or null when no operation matches. */
  route: string | null;
  operationId: string | null;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

export interface FailureInjection {
  method?: string;
  /** An OpenAPI path template such as "/repos/{owner}/{repo}/check-runs", or a pattern tested against the request path. */
  route: string | RegExp;
  status: 500 | 502 | 403 | 429 | number;
  times?: number;
  /** Seconds, for 429 (`retry-after`) and 403 (`x-ratelimit-reset` = now + retryAfter). */
  retryAfter?: number;
  message?: string;
  /**
   * A secondary rate limit: 403 (or 429) with `retry-after: <retryAfter>` and GitHub's
   * "secondary rate limit" message, instead of the primary limit's exhausted quota.
   */
  secondary?: boolean;
  /** Only requests whose JSON body this accepts (e.g. a check-run update that completes the run). */
  body?: (body: unknown) => boolean;
  /** Serve the request (GitHub did the work), then answer with the failure anyway, as a gateway timing out does. */
  afterServing?: boolean;
}

/** Which requests a hold applies to: the same matching as failure injection. */
export interface RequestMatcher {
  method?: string;
  /** An OpenAPI path template, or a pattern tested against the request path. */
  route: string | RegExp;
}

/** A request held before it is served, so a test can act while the app waits on GitHub. */
export interface HeldRequest {
  /** Resolves with the held request once it arrives. */
  reached: Promise<RecordedRequest>;
  /** Lets the held request (and, if it has not arrived yet, the next one) be served. */
  release(): void;
}

export interface PullRequestInfo {
  number: number;
  headRef: string;
  baseRef: string;
  headSha: string;
  baseSha: string;
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
  raw_details?: string;
}

export interface CheckRunAction {
  label: string;
  description: string;
  identifier: string;
}

export interface CheckRunState {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  details_url: string | null;
  external_id: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations_count: number };
  actions: CheckRunAction[];
  /** Annotations exactly as each create/update request sent them. */
  annotationBatches: Annotation[][];
  /** Number of update (PATCH) requests merged into this state. */
  updates: number;
}

export interface ReviewCommentState {
  id: number;
  pull_request_review_id: number;
  in_reply_to_id?: number;
  path: string;
  line: number | null;
  side: "LEFT" | "RIGHT" | null;
  start_line: number | null;
  start_side: "LEFT" | "RIGHT" | null;
  position: number | null;
  commit_id: string;
  body: string;
  user: string;
  diff_hunk: string;
  created_at: string;
}

export interface ReviewState {
  id: number;
  body: string;
  event: string | null;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING";
  commit_id: string;
  user: string;
  submitted_at: string | null;
  comments: ReviewCommentState[];
}

export interface IssueCommentState {
  id: number;
  issue_number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
  /** Bodies this comment had before its later edits, oldest first. */
  edits: string[];
}

export interface ReactionState {
  id: number;
  content: string;
  user: string;
}

export interface PullState extends PullRequestInfo {
  title: string;
  body: string;
  user: string;
  draft: boolean;
  state: "open" | "closed";
  createdAt: string;
  updatedAt: string;
  reviews: ReviewState[];
}

export interface RepoState extends RepoRef {
  dir: string;
  objects: ObjectReader;
  pulls: Map<number, PullState>;
  nextIssueNumber: number;
  checkRuns: CheckRunState[];
  issueComments: IssueCommentState[];
  permissions: Map<string, Permission>;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Raw text/binary reply with its content type, instead of JSON. */
  raw?: { contentType: string; data: string | Buffer };
  headers?: Record<string, string>;
}

/** An error GitHub would answer with this status and message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
