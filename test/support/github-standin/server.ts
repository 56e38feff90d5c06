import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtemp } from "node:fs/promises";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commentableLines, positionOf } from "./diff-lines.js";
import {
  aheadBehind,
  commitOnBranch,
  commitsBetween,
  diffFiles,
  git,
  initRepository,
  listTree,
  ObjectReader,
  readCommit,
  removeDir,
  resolveRef,
  type ChangedFile,
  type CommitInfo,
  type FileChanges,
} from "./git.js";
import { blobResult, parseBlobQuery } from "./graphql.js";
import { OpenApiIndex, type RouteMatch, type Violation } from "./openapi.js";
import { applyCheckRunInput, enforceCheckRunLimits, MAX_OUTPUT_CHARS } from "./check-runs.js";
import { RepoHandle } from "./repo-handle.js";
import { errorBody, githubBase64, isoNow, nodeId, repoObject, userObject, WEB, type UserRef } from "./shapes.js";
import {
  HttpError,
  type CheckRunState,
  type FailureInjection,
  type HeldRequest,
  type IssueCommentState,
  type Permission,
  type PullState,
  type ReactionState,
  type RecordedRequest,
  type RepoState,
  type Reply,
  type RequestMatcher,
  type ReviewCommentState,
  type ReviewState,
  type StandinOptions,
} from "./types.js";

const MAX_CONTENTS_JSON_BYTES = 1024 * 1024;
const GRAPHQL_PATH = "/graphql";

/** An RSA key pair and app id for Probot; the stand-in accepts any well-formed JWT. */
export function generateAppCredentials(): { appId: number; privateKey: string } {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { appId: 123456, privateKey };
}

export async function startGitHubStandin(options: StandinOptions = {}): Promise<GitHubStandin> {
  const root = await mkdtemp(join(tmpdir(), "github-standin-"));
  const standin = new GitHubStandin(root, options);
  await standin.listen();
  return standin;
}

export class GitHubStandin {
  readonly installationId: number;
  readonly appSlug: string;
  readonly appId: number;
  readonly botLogin: string;
  private readonly treeEntryLimit: number;
  private readonly pullFilesLimit: number;
  private readonly graphqlBlobTextLimit: number;
  private readonly validateRequests: boolean;
  private readonly validateResponses: boolean;
  private readonly rateLimit: number;
  private rateUsed = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private baseUrl = "";
  private nextId = 1000;
  private readonly users = new Map<string, UserRef>();
  private readonly repos = new Map<string, RepoState>();
  private readonly tokens = new Set<string>();
  private readonly reactionsByComment = new Map<number, ReactionState[]>();
  private recorded: RecordedRequest[] = [];
  private violationList: Violation[] = [];
  private counts = new Map<string, number>();
  private failures: (FailureInjection & { remaining: number })[] = [];
  private holds: {
    matcher: RequestMatcher;
    arrive: (request: RecordedRequest) => void;
    released: Promise<void>;
    release: () => void;
    taken: boolean;
  }[] = [];

  constructor(
    private readonly root: string,
    options: StandinOptions,
  ) {
    this.installationId = options.installationId ?? 4242;
    this.appSlug = options.appSlug ?? "index-audit";
    this.appId = options.appId ?? 123456;
    this.botLogin = `${this.appSlug}[bot]`;
    this.treeEntryLimit = options.treeEntryLimit ?? 100_000;
    this.pullFilesLimit = options.pullFilesLimit ?? 3000;
    this.graphqlBlobTextLimit = options.graphqlBlobTextLimit ?? Number.POSITIVE_INFINITY;
    this.validateRequests = options.validate ?? true;
    this.validateResponses = options.validateResponses ?? false;
    this.rateLimit = options.rateLimit ?? 15_000;
    // Requests only read git objects (never the working tree), so they can be served concurrently.
    this.server = createServer((request, response) => {
      this.serve(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500);
        response.end(String(error));
      });
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return this.baseUrl;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    for (const hold of this.holds) hold.release();
    for (const repo of this.repos.values()) repo.objects.close();
    await removeDir(this.root);
  }

  // ---------------------------------------------------------------- scenario building

  async createRepo(options: {
    owner: string;
    name: string;
    files: FileChanges;
    defaultBranch?: string;
    private?: boolean;
    message?: string;
    ownerType?: "User" | "Organization";
  }): Promise<RepoHandle> {
    const fullName = `${options.owner}/${options.name}`;
    if (this.repos.has(fullName.toLowerCase())) throw new Error(`${fullName} already exists`);
    const defaultBranch = options.defaultBranch ?? "main";
    const dir = join(this.root, `${options.owner}__${options.name}`);
    await initRepository(dir, defaultBranch);
    await commitOnBranch(dir, defaultBranch, options.files, options.message ?? "Initial commit", null);
    const state: RepoState = {
      id: this.newId(),
      owner: this.user(options.owner, options.ownerType ?? "User"),
      name: options.name,
      private: options.private ?? false,
      defaultBranch,
      createdAt: isoNow(),
      dir,
      objects: new ObjectReader(dir),
      pulls: new Map(),
      nextIssueNumber: 1,
      checkRuns: [],
      issueComments: [],
      permissions: new Map([[options.owner, "admin"]]),
    };
    this.repos.set(fullName.toLowerCase(), state);
    return new RepoHandle(this, state);
  }

  setPermission(fullName: string, login: string, permission: Permission): void {
    this.requireRepo(fullName).permissions.set(login, permission);
  }

  /** A comment written by a person (not the app), e.g. a slash command. */
  addIssueComment(fullName: string, issueNumber: number, comment: { body: string; user: string }): IssueCommentState {
    const repo = this.requireRepo(fullName);
    const created: IssueCommentState = {
      id: this.newId(),
      issue_number: issueNumber,
      body: comment.body,
      user: comment.user,
      created_at: isoNow(),
      updated_at: isoNow(),
      edits: [],
    };
    repo.issueComments.push(created);
    return created;
  }

  /** A review a person (or another bot) submitted, with inline comments placed as GitHub places them. */
  async addReview(
    fullName: string,
    pullNumber: number,
    review: { user: string; body?: string; comments: Array<{ path: string; line: number; body: string }> },
  ): Promise<void> {
    const repo = this.requireRepo(fullName);
    const input = { event: "COMMENT", body: review.body ?? "", comments: review.comments.map((c) => ({ ...c, side: "RIGHT" })) };
    await this.createReview(repo, this.requirePull(repo, pullNumber), input, review.user);
  }

  /** The user object GitHub would send for a login. */
  userObject(login: string): ReturnType<typeof userObject> {
    return userObject(this.baseUrl, this.user(login));
  }

  /** The issue comment as the REST API and the `issue_comment` payload describe it. */
  issueCommentObject(fullName: string, commentId: number): Record<string, unknown> {
    const repo = this.requireRepo(fullName);
    const comment = repo.issueComments.find((c) => c.id === commentId);
    if (!comment) throw new Error(`no issue comment ${commentId} in ${fullName}`);
    return this.issueCommentJson(repo, comment);
  }

  /** The app as GitHub describes it in check runs and check suites. */
  appObject(): Record<string, unknown> {
    return this.appJson();
  }

  /** A check run as the REST API and the `check_run` payload describe it. */
  checkRunObject(fullName: string, checkRunId: number): Record<string, unknown> {
    const repo = this.requireRepo(fullName);
    const run = repo.checkRuns.find((r) => r.id === checkRunId);
    if (!run) throw new Error(`no check run ${checkRunId} in ${fullName}`);
    return this.checkRunJson(repo, run);
  }

  failNext(injection: FailureInjection): void {
    this.failures.push({ ...injection, remaining: injection.times ?? 1 });
  }

  /**
   * Holds the next matching request until `release()`: deterministic "GitHub is slow right now",
   * e.g. to push a newer commit while an audit is still fetching files.
   */
  holdNext(matcher: RequestMatcher): HeldRequest {
    let arrive!: (request: RecordedRequest) => void;
    let release!: () => void;
    const reached = new Promise<RecordedRequest>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ matcher, arrive, released, release, taken: false });
    return { reached, release };
  }

  // ---------------------------------------------------------------- reading back

  checkRuns(fullName: string): CheckRunState[] {
    return structuredClone(this.requireRepo(fullName).checkRuns);
  }

  reviews(fullName: string, pullNumber: number): ReviewState[] {
    return structuredClone(this.requirePull(this.requireRepo(fullName), pullNumber).reviews);
  }

  reviewComments(fullName: string, pullNumber: number): ReviewCommentState[] {
    return this.reviews(fullName, pullNumber)
      .flatMap((review) => review.comments)
      .sort((a, b) => a.id - b.id);
  }

  /** Replies in review threads (comments with `in_reply_to_id`), oldest first. */
  replies(fullName: string, pullNumber: number): ReviewCommentState[] {
    return this.reviewComments(fullName, pullNumber).filter((c) => c.in_reply_to_id !== undefined);
  }

  issueComments(fullName: string, issueNumber: number): IssueCommentState[] {
    return structuredClone(this.requireRepo(fullName).issueComments.filter((c) => c.issue_number === issueNumber));
  }

  reactions(commentId: number): ReactionState[] {
    return structuredClone(this.reactionsByComment.get(commentId) ?? []);
  }

  requests(): RecordedRequest[] {
    return structuredClone(this.recorded);
  }

  violations(): Violation[] {
    return structuredClone(this.violationList);
  }

  /** Requests per "METHOD /path/{template}" (unmatched paths are counted under their raw path). */
  routeCounts(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Forgets recorded requests, violations and counts; repositories and API state stay. */
  /** Drops failure injections not used up yet: GitHub is healthy again. */
  resetFailures(): void {
    this.failures = [];
  }

  resetRecording(): void {
    this.recorded = [];
    this.violationList = [];
    this.counts = new Map();
  }

  // ---------------------------------------------------------------- HTTP

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.baseUrl);
    const method = (request.method ?? "GET").toUpperCase();
    const rawBody = await readBody(request);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      route: null,
      operationId: null,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      status: 0,
    };
    this.recorded.push(record);

    let reply: Reply;
    try {
      let body: unknown;
      if (rawBody.length > 0) {
        try {
          body = JSON.parse(rawBody.toString("utf8"));
        } catch {
          record.body = rawBody.toString("utf8");
          this.violation(method, url.pathname, "request body is not valid JSON");
          throw new HttpError(400, "Problems parsing JSON");
        }
      }
      record.body = body;
      // GraphQL is not part of the REST description; it has its own route and checks.
      const isGraphql = method === "POST" && url.pathname === GRAPHQL_PATH;
      const match = isGraphql ? null : OpenApiIndex.load().match(method, url.pathname);
      const template = isGraphql ? GRAPHQL_PATH : (match?.operation.template ?? null);
      record.route = template;
      record.operationId = isGraphql ? "graphql" : (match?.operation.operationId ?? null);
      const countKey = `${method} ${template ?? url.pathname}`;
      this.counts.set(countKey, (this.counts.get(countKey) ?? 0) + 1);
      if (this.validateRequests && !isGraphql) this.validate(method, url, match, body);
      const hold = this.holds.find((h) => !h.taken && matches(h.matcher, method, url.pathname, template));
      if (hold) {
        hold.taken = true;
        hold.arrive(structuredClone(record));
        await hold.released;
      }
      const failure = this.injectedFailure(method, url.pathname, template, body);
      if (failure?.afterServing) {
        if (isGraphql) await this.answerGraphql(request, body);
        else await this.handle(request, url, match, body);
      }
      reply = failure?.reply ?? (isGraphql ? await this.answerGraphql(request, body) : await this.handle(request, url, match, body));
      if (this.validateResponses && match && reply.body !== undefined && !reply.raw) {
        for (const problem of OpenApiIndex.load().checkResponse(match.operation, reply.status, reply.body)) {
          this.violation(method, url.pathname, `${match.operation.operationId}: ${problem}`);
        }
      }
    } catch (error) {
      if (error instanceof HttpError) {
        reply = { status: error.status, body: errorBody(error.status, error.message, error.extra) };
      } else {
        const message = error instanceof Error ? error.stack ?? error.message : String(error);
        reply = { status: 500, body: errorBody(500, `stand-in failure: ${message}`) };
      }
    }
    record.status = reply.status;
    this.send(response, reply);
  }

  private validate(method: string, url: URL, match: RouteMatch | null, body: unknown): void {
    if (!match) {
      this.violation(method, url.pathname, "no such operation in GitHub's REST API");
      return;
    }
    const problems = OpenApiIndex.load().check(match, url.searchParams, body);
    for (const problem of problems) {
      this.violation(method, url.pathname, `${match.operation.operationId}: ${problem}`);
    }
    // GitHub refuses a body its schema does not allow (a bad enum value, too many items) with 422.
    const bodyProblems = problems.filter((p) => p.startsWith("request body invalid") || p.startsWith("missing required JSON"));
    if (bodyProblems.length > 0) throw new HttpError(422, "Invalid request.", { errors: bodyProblems });
  }

  private violation(method: string, path: string, message: string): void {
    this.violationList.push({ method, path, message });
  }

  private injectedFailure(method: string, path: string, template: string | null, body: unknown): { reply: Reply; afterServing: boolean } | null {
    const injection = this.failures.find((f) => f.remaining > 0 && matches(f, method, path, template) && (!f.body || f.body(body)));
    if (!injection) return null;
    injection.remaining--;
    this.failures = this.failures.filter((f) => f.remaining > 0);
    const retryAfter = injection.retryAfter ?? 1;
    const headers: Record<string, string> = {};
    let message = injection.message;
    if (injection.secondary) {
      headers["retry-after"] = String(retryAfter);
      message ??= "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
    } else if (injection.status === 403) {
      headers["x-ratelimit-remaining"] = "0";
      headers["x-ratelimit-reset"] = String(Math.floor(Date.now() / 1000) + retryAfter);
      message ??= "API rate limit exceeded for installation.";
    } else if (injection.status === 429) {
      headers["retry-after"] = String(retryAfter);
      message ??= "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
    }
    message ??= injection.status === 502 ? "Server Error" : injection.status === 404 ? "Not Found" : "Internal Server Error";
    return { reply: { status: injection.status, body: errorBody(injection.status, message), headers }, afterServing: injection.afterServing === true };
  }

  private send(response: ServerResponse, reply: Reply): void {
    this.rateUsed++;
    const headers: Record<string, string> = {
      "x-ratelimit-limit": String(this.rateLimit),
      "x-ratelimit-remaining": String(Math.max(0, this.rateLimit - this.rateUsed)),
      "x-ratelimit-used": String(this.rateUsed),
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-resource": "core",
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": randomBytes(8).toString("hex").toUpperCase(),
      ...reply.headers,
    };
    if (reply.raw) {
      headers["content-type"] = reply.raw.contentType;
      response.writeHead(reply.status, headers);
      response.end(reply.raw.data);
    } else if (reply.body === undefined) {
      response.writeHead(reply.status, headers);
      response.end();
    } else {
      headers["content-type"] = "application/json; charset=utf-8";
      response.writeHead(reply.status, headers);
      response.end(JSON.stringify(reply.body));
    }
  }

  private async handle(request: IncomingMessage, url: URL, match: RouteMatch | null, body: unknown): Promise<Reply> {
    if (!match) throw new HttpError(404, "Not Found");
    const { params, operation } = match;
    const query = url.searchParams;
    const auth = this.authenticate(request, operation.template);
    const accept = String(request.headers.accept ?? "");
    const input = (body ?? {}) as Record<string, unknown>;

    switch (operation.operationId) {
      case "apps/create-installation-access-token":
        return this.createAccessToken(Number(params.installation_id));
      case "apps/get-authenticated":
        return { status: 200, body: this.appJson() };
      case "apps/list-installations": {
        // One installation holds every repository; it is described by the first repository's owner.
        const first = [...this.repos.values()][0];
        return this.page(first ? [this.installationJson(first)] : [], query, url);
      }
      case "apps/list-repos-accessible-to-installation": {
        const all = [...this.repos.values()].map((r) => this.repoJson(r));
        const per = clampPerPage(query.get("per_page"), 100);
        const pageNumber = Math.max(1, Number(query.get("page") ?? 1));
        const link = linkHeader(url, pageNumber, Math.max(1, Math.ceil(all.length / per)));
        return {
          status: 200,
          headers: link ? { link } : {},
          body: { total_count: all.length, repository_selection: "all", repositories: all.slice((pageNumber - 1) * per, pageNumber * per) },
        };
      }
      case "apps/get-repo-installation":
        return { status: 200, body: this.installationJson(this.repoFor(params)) };
      case "repos/get":
        return { status: 200, body: this.repoJson(this.repoFor(params)) };
      case "repos/get-content":
        return this.getContent(this.repoFor(params), params.path ?? "", query.get("ref"), accept);
      case "git/get-tree":
        return this.getTree(this.repoFor(params), params.tree_sha!, query.get("recursive"));
      case "git/get-blob":
        return this.getBlob(this.repoFor(params), params.file_sha!, accept);
      case "git/get-commit":
        return this.getGitCommit(this.repoFor(params), params.commit_sha!);
      case "repos/get-commit":
        return this.getCommit(this.repoFor(params), params.ref!);
      case "pulls/list":
        return this.listPulls(this.repoFor(params), query, url);
      case "pulls/get":
        return { status: 200, body: await this.pullObjectFor(this.repoFor(params), this.pullFor(params)) };
      case "pulls/list-files":
        return this.listPullFiles(this.repoFor(params), this.pullFor(params), query, url);
      case "repos/compare-commits-with-basehead":
        return this.compare(this.repoFor(params), params.basehead!, query, url);
      case "checks/create":
        return this.createCheckRun(this.repoFor(params), input);
      case "checks/update":
        return this.updateCheckRun(this.repoFor(params), Number(params.check_run_id), input);
      case "checks/get":
        return { status: 200, body: this.checkRunJson(this.repoFor(params), this.checkRunFor(params)) };
      case "checks/list-for-ref":
        return this.listCheckRuns(this.repoFor(params), params.ref!, query, url);
      case "pulls/list-reviews": {
        const repo = this.repoFor(params);
        const pull = this.pullFor(params);
        return this.page(pull.reviews.map((r) => this.reviewJson(repo, pull, r)), query, url);
      }
      case "pulls/create-review":
        return this.createReview(this.repoFor(params), this.pullFor(params), input, auth);
      case "pulls/list-review-comments": {
        const repo = this.repoFor(params);
        const pull = this.pullFor(params);
        const comments = pull.reviews.flatMap((r) => r.comments).sort((a, b) => a.id - b.id);
        return this.page(comments.map((c) => this.reviewCommentJson(repo, pull, c)), query, url);
      }
      case "pulls/create-reply-for-review-comment":
        return this.createReply(this.repoFor(params), this.pullFor(params), Number(params.comment_id), input, auth);
      case "issues/list-comments": {
        const repo = this.repoFor(params);
        const issueNumber = this.issueNumberFor(repo, params);
        const comments = repo.issueComments.filter((c) => c.issue_number === issueNumber);
        return this.page(comments.map((c) => this.issueCommentJson(repo, c)), query, url);
      }
      case "issues/create-comment":
        return this.createIssueComment(this.repoFor(params), this.issueNumberFor(this.repoFor(params), params), input, auth);
      case "issues/update-comment":
        return this.updateIssueComment(this.repoFor(params), Number(params.comment_id), input);
      case "reactions/create-for-issue-comment":
        return this.createReaction(this.repoFor(params), Number(params.comment_id), input, auth);
      case "repos/get-collaborator-permission-level":
        return this.permissionLevel(this.repoFor(params), params.username!);
      default:
        throw new HttpError(404, "Not Found");
    }
  }

  // ---------------------------------------------------------------- GraphQL (blob batches only)

  private async answerGraphql(request: IncomingMessage, body: unknown): Promise<Reply> {
    this.authenticate(request, GRAPHQL_PATH);
    const query = parseBlobQuery(body);
    if (typeof query === "string") {
      this.violation("POST", GRAPHQL_PATH, `graphql: ${query}`);
      return { status: 200, body: { errors: [{ message: query }] } };
    }
    const repo = this.repos.get(`${query.owner}/${query.name}`.toLowerCase());
    if (!repo) {
      return {
        status: 200,
        body: {
          data: { repository: null },
          errors: [
            {
              type: "NOT_FOUND",
              path: ["repository"],
              locations: [{ line: 2, column: 3 }],
              message: `Could not resolve to a Repository with the name '${query.owner}/${query.name}'.`,
            },
          ],
        },
      };
    }
    const repository: Record<string, unknown> = {};
    for (const { alias, oid, fields } of query.aliases) {
      repository[alias] = blobResult(await repo.objects.read(oid), fields, this.graphqlBlobTextLimit);
    }
    return { status: 200, body: { data: { repository } } };
  }

  // ---------------------------------------------------------------- auth

  /** Returns the login acting: the app's bot for installation tokens. */
  private authenticate(request: IncomingMessage, template: string): string {
    const header = String(request.headers.authorization ?? "");
    const [scheme, credential] = header.split(/\s+/, 2);
    if (!scheme || !credential) throw new HttpError(401, "Requires authentication");
    const needsJwt = template.startsWith("/app") || template === "/repos/{owner}/{repo}/installation";
    if (needsJwt) {
      if (scheme.toLowerCase() !== "bearer" || !isWellFormedJwt(credential)) {
        throw new HttpError(401, "A JSON web token could not be decoded");
      }
      return this.botLogin;
    }
    if (!this.tokens.has(credential)) throw new HttpError(401, "Bad credentials");
    return this.botLogin;
  }

  private createAccessToken(installationId: number): Reply {
    if (installationId !== this.installationId) throw new HttpError(404, "Not Found");
    const token = `ghs_${randomBytes(18).toString("base64url")}`;
    this.tokens.add(token);
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
        permissions: {
          checks: "write",
          contents: "read",
          issues: "write",
          metadata: "read",
          pull_requests: "write",
        },
        repository_selection: "all",
      },
    };
  }

  private installationJson(repo: RepoState) {
    return {
      id: this.installationId,
      account: userObject(this.baseUrl, repo.owner),
      repository_selection: "all",
      access_tokens_url: `${this.baseUrl}/app/installations/${this.installationId}/access_tokens`,
      repositories_url: `${this.baseUrl}/installation/repositories`,
      html_url: `${WEB}/settings/installations/${this.installationId}`,
      app_id: this.appId,
      app_slug: this.appSlug,
      target_id: repo.owner.id,
      target_type: repo.owner.type === "Organization" ? "Organization" : "User",
      permissions: { checks: "write", contents: "read", issues: "write", metadata: "read", pull_requests: "write" },
      events: ["check_run", "check_suite", "issue_comment", "pull_request"],
      created_at: repo.createdAt,
      updated_at: repo.createdAt,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }

  private appJson() {
    const owner = userObject(this.baseUrl, this.user("index-audit-org", "Organization"));
    return {
      id: this.appId,
      slug: this.appSlug,
      node_id: nodeId("A", this.appId),
      client_id: "Iv1.standin",
      owner,
      name: this.appSlug,
      description: "",
      external_url: WEB,
      html_url: `${WEB}/apps/${this.appSlug}`,
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
      permissions: { checks: "write", contents: "read", issues: "write", metadata: "read", pull_requests: "write" },
      events: ["check_run", "check_suite", "issue_comment", "pull_request"],
    };
  }

  // ---------------------------------------------------------------- repository content

  private repoJson(repo: RepoState) {
    return repoObject(this.baseUrl, repo);
  }

  private async getContent(repo: RepoState, path: string, ref: string | null, accept: string): Promise<Reply> {
    const sha = await resolveRef(repo.dir, ref ?? repo.defaultBranch);
    if (!sha) throw new HttpError(404, `No commit found for the ref ${ref}`);
    const cleanPath = path.replace(/^\/+|\/+$/g, "");
    const object = cleanPath === "" ? null : await repo.objects.read(`${sha}:${cleanPath}`);
    const type = cleanPath === "" ? "tree" : object?.type;
    if (!type) throw new HttpError(404, "Not Found");
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    const contentItem = (entryPath: string, entrySha: string, entryType: string, size: number) => ({
      type: entryType === "tree" ? "dir" : entryType === "commit" ? "submodule" : "file",
      size,
      name: entryPath.split("/").pop()!,
      path: entryPath,
      sha: entrySha,
      url: `${api}/contents/${entryPath}?ref=${ref ?? repo.defaultBranch}`,
      git_url: `${api}/git/${entryType === "tree" ? "trees" : "blobs"}/${entrySha}`,
      html_url: `${WEB}/${fullNameOf(repo)}/${entryType === "tree" ? "tree" : "blob"}/${ref ?? repo.defaultBranch}/${entryPath}`,
      download_url: entryType === "blob" ? `https://raw.githubusercontent.com/${fullNameOf(repo)}/${sha}/${entryPath}` : null,
      _links: {
        self: `${api}/contents/${entryPath}?ref=${ref ?? repo.defaultBranch}`,
        git: `${api}/git/${entryType === "tree" ? "trees" : "blobs"}/${entrySha}`,
        html: `${WEB}/${fullNameOf(repo)}/blob/${ref ?? repo.defaultBranch}/${entryPath}`,
      },
    });
    if (type === "tree") {
      const listing = await listTree(repo.dir, cleanPath === "" ? sha : `${sha}:${cleanPath}`, false);
      // A directory is always JSON, whatever media type was asked for.
      return {
        status: 200,
        body: listing.map((e) =>
          contentItem(cleanPath === "" ? e.path : `${cleanPath}/${e.path}`, e.sha, e.type, e.size ?? 0),
        ),
      };
    }
    const { sha: blobSha, content } = object!;
    if (/application\/vnd\.github(\.v3)?\.raw/.test(accept)) {
      return { status: 200, raw: { contentType: "application/vnd.github.raw; charset=utf-8", data: content } };
    }
    // Files over 1 MB come without content in the JSON form; GitHub points to the raw or blob API instead.
    const tooLarge = content.length > MAX_CONTENTS_JSON_BYTES;
    return {
      status: 200,
      body: {
        ...contentItem(cleanPath, blobSha, "blob", content.length),
        encoding: tooLarge ? "none" : "base64",
        content: tooLarge ? "" : githubBase64(content),
      },
    };
  }

  private async getTree(repo: RepoState, treeish: string, recursive: string | null): Promise<Reply> {
    let treeSha: string;
    try {
      treeSha = (await git(repo.dir, ["rev-parse", "--verify", "--quiet", `${treeish}^{tree}`])).trim();
    } catch {
      throw new HttpError(404, "Not Found");
    }
    if (!treeSha) throw new HttpError(404, "Not Found");
    // GitHub treats any value of `recursive` as true, even "false" or "0".
    const entries = await listTree(repo.dir, treeSha, recursive !== null);
    const truncated = entries.length > this.treeEntryLimit;
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}/git`;
    return {
      status: 200,
      body: {
        sha: treeSha,
        url: `${api}/trees/${treeSha}`,
        tree: entries.slice(0, this.treeEntryLimit).map((e) => ({
          path: e.path,
          mode: e.mode,
          type: e.type,
          sha: e.sha,
          ...(e.type === "blob" ? { size: e.size ?? 0, url: `${api}/blobs/${e.sha}` } : {}),
          ...(e.type === "tree" ? { url: `${api}/trees/${e.sha}` } : {}),
        })),
        truncated,
      },
    };
  }

  private async getBlob(repo: RepoState, sha: string, accept: string): Promise<Reply> {
    const object = /^[0-9a-f]{40}$/i.test(sha) ? await repo.objects.read(sha) : null;
    if (object?.type !== "blob") throw new HttpError(404, "Not Found");
    const content = object.content;
    if (/application\/vnd\.github(\.v3)?\.raw/.test(accept)) {
      return { status: 200, raw: { contentType: "application/vnd.github.raw; charset=utf-8", data: content } };
    }
    return {
      status: 200,
      body: {
        sha,
        node_id: nodeId("B", parseInt(sha.slice(0, 8), 16)),
        size: content.length,
        url: `${this.baseUrl}/repos/${fullNameOf(repo)}/git/blobs/${sha}`,
        content: githubBase64(content),
        encoding: "base64",
      },
    };
  }

  private gitCommitJson(repo: RepoState, commit: CommitInfo) {
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    return {
      sha: commit.sha,
      node_id: nodeId("C", parseInt(commit.sha.slice(0, 8), 16)),
      url: `${api}/git/commits/${commit.sha}`,
      html_url: `${WEB}/${fullNameOf(repo)}/commit/${commit.sha}`,
      author: { name: commit.authorName, email: commit.authorEmail, date: commit.authorDate },
      committer: { name: commit.committerName, email: commit.committerEmail, date: commit.committerDate },
      message: commit.message,
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      parents: commit.parents.map((p) => ({ sha: p, url: `${api}/git/commits/${p}`, html_url: `${WEB}/${fullNameOf(repo)}/commit/${p}` })),
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    };
  }

  private async getGitCommit(repo: RepoState, sha: string): Promise<Reply> {
    if ((await repo.objects.read(sha))?.type !== "commit") throw new HttpError(404, "Not Found");
    return { status: 200, body: this.gitCommitJson(repo, await readCommit(repo.dir, sha)) };
  }

  private commitJson(repo: RepoState, commit: CommitInfo) {
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    const git = this.gitCommitJson(repo, commit);
    const author = userObject(this.baseUrl, this.user("octocat"));
    return {
      url: `${api}/commits/${commit.sha}`,
      sha: commit.sha,
      node_id: git.node_id,
      html_url: git.html_url,
      comments_url: `${api}/commits/${commit.sha}/comments`,
      commit: {
        url: git.url,
        author: git.author,
        committer: git.committer,
        message: git.message,
        comment_count: 0,
        tree: git.tree,
        verification: git.verification,
      },
      author,
      committer: author,
      parents: commit.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${WEB}/${fullNameOf(repo)}/commit/${p}` })),
    };
  }

  private async getCommit(repo: RepoState, ref: string): Promise<Reply> {
    const sha = await resolveRef(repo.dir, ref);
    if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
    const commit = await readCommit(repo.dir, sha);
    const parent = commit.parents[0] ?? "4b825dc642cb6eb9a060e54bf8d69288fbee4904"; // git's empty tree
    const files = await diffFiles(repo.dir, parent, sha);
    const additions = files.reduce((n, f) => n + f.additions, 0);
    const deletions = files.reduce((n, f) => n + f.deletions, 0);
    return {
      status: 200,
      body: {
        ...this.commitJson(repo, commit),
        stats: { total: additions + deletions, additions, deletions },
        files: files.slice(0, 300).map((f) => this.diffEntryJson(repo, sha, f)),
      },
    };
  }

  private diffEntryJson(repo: RepoState, headSha: string, file: ChangedFile) {
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    const path = encodeURI(file.filename);
    return {
      sha: file.sha,
      filename: file.filename,
      status: file.status,
      additions: file.additions,
      deletions: file.deletions,
      changes: file.changes,
      blob_url: `${WEB}/${fullNameOf(repo)}/blob/${headSha}/${path}`,
      raw_url: `${WEB}/${fullNameOf(repo)}/raw/${headSha}/${path}`,
      contents_url: `${api}/contents/${path}?ref=${headSha}`,
      ...(file.patch !== undefined ? { patch: file.patch } : {}),
      ...(file.previous_filename ? { previous_filename: file.previous_filename } : {}),
    };
  }

  // ---------------------------------------------------------------- pull requests

  /** Files of a pull request, computed from its real diff; cached per (base, head) since git is the slow part. */
  private filesCache = new Map<string, ChangedFile[]>();
  private async pullFiles(repo: RepoState, baseSha: string, headSha: string): Promise<ChangedFile[]> {
    const key = `${repo.dir}:${baseSha}:${headSha}`;
    let files = this.filesCache.get(key);
    if (!files) {
      files = await diffFiles(repo.dir, baseSha, headSha);
      this.filesCache.set(key, files);
    }
    return files;
  }

  async pullObjectFor(repo: RepoState, pull: PullState): Promise<Record<string, unknown>> {
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    const html = `${WEB}/${fullNameOf(repo)}/pull/${pull.number}`;
    const files = await this.pullFiles(repo, pull.baseSha, pull.headSha);
    const commits = await commitsBetween(repo.dir, pull.baseSha, pull.headSha);
    const repoJson = this.repoJson(repo);
    const owner = userObject(this.baseUrl, repo.owner);
    const branch = (ref: string, sha: string) => ({
      label: `${repo.owner.login}:${ref}`,
      ref,
      sha,
      user: owner,
      repo: repoJson,
    });
    const reviewComments = pull.reviews.reduce((n, r) => n + r.comments.length, 0);
    return {
      url: `${api}/pulls/${pull.number}`,
      id: repo.id * 1000 + pull.number,
      node_id: nodeId("PR", repo.id * 1000 + pull.number),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${api}/issues/${pull.number}`,
      commits_url: `${api}/pulls/${pull.number}/commits`,
      review_comments_url: `${api}/pulls/${pull.number}/comments`,
      review_comment_url: `${api}/pulls/comments{/number}`,
      comments_url: `${api}/issues/${pull.number}/comments`,
      statuses_url: `${api}/statuses/${pull.headSha}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: userObject(this.baseUrl, this.user(pull.user)),
      body: pull.body,
      labels: [],
      milestone: null,
      active_lock_reason: null,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: null,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: branch(pull.headRef, pull.headSha),
      base: branch(pull.baseRef, pull.baseSha),
      _links: {
        self: { href: `${api}/pulls/${pull.number}` },
        html: { href: html },
        issue: { href: `${api}/issues/${pull.number}` },
        comments: { href: `${api}/issues/${pull.number}/comments` },
        review_comments: { href: `${api}/pulls/${pull.number}/comments` },
        review_comment: { href: `${api}/pulls/comments{/number}` },
        commits: { href: `${api}/pulls/${pull.number}/commits` },
        statuses: { href: `${api}/statuses/${pull.headSha}` },
      },
      author_association: this.association(repo, pull.user),
      auto_merge: null,
      draft: pull.draft,
      merged: false,
      mergeable: true,
      rebaseable: true,
      mergeable_state: "clean",
      merged_by: null,
      comments: repo.issueComments.filter((c) => c.issue_number === pull.number).length,
      review_comments: reviewComments,
      maintainer_can_modify: false,
      commits: commits.length,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      changed_files: files.length,
    };
  }

  private async listPulls(repo: RepoState, query: URLSearchParams, url: URL): Promise<Reply> {
    const state = query.get("state") ?? "open";
    const head = query.get("head");
    const base = query.get("base");
    const pulls = [...repo.pulls.values()].filter(
      (p) =>
        (state === "all" || p.state === state) &&
        (!head || `${repo.owner.login}:${p.headRef}` === head || p.headRef === head) &&
        (!base || p.baseRef === base),
    );
    const items = [];
    for (const pull of pulls.reverse()) items.push(await this.pullObjectFor(repo, pull));
    return this.page(items, query, url);
  }

  private async listPullFiles(repo: RepoState, pull: PullState, query: URLSearchParams, url: URL): Promise<Reply> {
    const files = (await this.pullFiles(repo, pull.baseSha, pull.headSha)).slice(0, this.pullFilesLimit);
    return this.page(files.map((f) => this.diffEntryJson(repo, pull.headSha, f)), query, url);
  }

  private async compare(repo: RepoState, basehead: string, query: URLSearchParams, url: URL): Promise<Reply> {
    const separator = basehead.indexOf("...");
    if (separator < 0) throw new HttpError(404, "Not Found");
    const baseRef = basehead.slice(0, separator);
    const headRef = basehead.slice(separator + 3);
    const base = await resolveRef(repo.dir, baseRef);
    const head = await resolveRef(repo.dir, headRef);
    if (!base || !head) throw new HttpError(404, "Not Found");
    const mergeBase = (await git(repo.dir, ["merge-base", base, head])).trim();
    const { ahead, behind } = await aheadBehind(repo.dir, base, head);
    const commitShas = await commitsBetween(repo.dir, mergeBase, head);
    const perPage = clampPerPage(query.get("per_page"), 250);
    const pageNumber = Math.max(1, Number(query.get("page") ?? 1));
    const pageShas = commitShas.slice((pageNumber - 1) * perPage, pageNumber * perPage);
    const commits = [];
    for (const sha of pageShas) commits.push(this.commitJson(repo, await readCommit(repo.dir, sha)));
    const files = await this.pullFiles(repo, base, head);
    const html = `${WEB}/${fullNameOf(repo)}/compare/${basehead}`;
    const headers: Record<string, string> = {};
    const link = linkHeader(url, pageNumber, Math.max(1, Math.ceil(commitShas.length / perPage)));
    if (link) headers.link = link;
    return {
      status: 200,
      headers,
      body: {
        url: `${this.baseUrl}/repos/${fullNameOf(repo)}/compare/${basehead}`,
        html_url: html,
        permalink_url: `${WEB}/${fullNameOf(repo)}/compare/${repo.owner.login}:${base.slice(0, 7)}...${repo.owner.login}:${head.slice(0, 7)}`,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        base_commit: this.commitJson(repo, await readCommit(repo.dir, base)),
        merge_base_commit: this.commitJson(repo, await readCommit(repo.dir, mergeBase)),
        status: ahead === 0 && behind === 0 ? "identical" : behind === 0 ? "ahead" : ahead === 0 ? "behind" : "diverged",
        ahead_by: ahead,
        behind_by: behind,
        total_commits: commitShas.length,
        commits,
        // GitHub returns at most 300 files in a comparison.
        files: files.slice(0, 300).map((f) => this.diffEntryJson(repo, head, f)),
      },
    };
  }

  // ---------------------------------------------------------------- check runs

  private async createCheckRun(repo: RepoState, input: Record<string, unknown>): Promise<Reply> {
    if (typeof input.name !== "string" || typeof input.head_sha !== "string") {
      throw new HttpError(422, "Invalid request.", { errors: ['"name" and "head_sha" are required'] });
    }
    enforceCheckRunLimits(input);
    if ((await repo.objects.read(input.head_sha))?.type !== "commit") {
      throw new HttpError(422, "No commit found for SHA: " + input.head_sha);
    }
    const run: CheckRunState = {
      id: this.newId(),
      name: input.name,
      head_sha: input.head_sha,
      status: "queued",
      conclusion: null,
      started_at: isoNow(),
      completed_at: null,
      details_url: null,
      external_id: null,
      output: { title: null, summary: null, text: null, annotations_count: 0 },
      actions: [],
      annotationBatches: [],
      updates: 0,
    };
    applyCheckRunInput(run, input);
    repo.checkRuns.push(run);
    return { status: 201, body: this.checkRunJson(repo, run) };
  }

  private updateCheckRun(repo: RepoState, id: number, input: Record<string, unknown>): Reply {
    const run = repo.checkRuns.find((r) => r.id === id);
    if (!run) throw new HttpError(404, "Not Found");
    enforceCheckRunLimits(input);
    applyCheckRunInput(run, input);
    run.updates++;
    return { status: 200, body: this.checkRunJson(repo, run) };
  }

  private async listCheckRuns(repo: RepoState, ref: string, query: URLSearchParams, url: URL): Promise<Reply> {
    const sha = await resolveRef(repo.dir, ref);
    if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
    let runs = repo.checkRuns.filter((r) => r.head_sha === sha);
    const name = query.get("check_name");
    const status = query.get("status");
    if (name) runs = runs.filter((r) => r.name === name);
    if (status) runs = runs.filter((r) => r.status === status);
    if ((query.get("filter") ?? "latest") === "latest") {
      const newest = new Map<string, CheckRunState>();
      for (const run of runs) newest.set(run.name, run);
      runs = [...newest.values()];
    }
    runs = [...runs].reverse();
    const perPage = clampPerPage(query.get("per_page"), 100);
    const pageNumber = Math.max(1, Number(query.get("page") ?? 1));
    const link = linkHeader(url, pageNumber, Math.max(1, Math.ceil(runs.length / perPage)));
    return {
      status: 200,
      headers: link ? { link } : {},
      body: {
        total_count: runs.length,
        check_runs: runs.slice((pageNumber - 1) * perPage, pageNumber * perPage).map((r) => this.checkRunJson(repo, r)),
      },
    };
  }

  private checkRunJson(repo: RepoState, run: CheckRunState) {
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    const pulls = [...repo.pulls.values()].filter((p) => p.state === "open" && p.headSha === run.head_sha);
    return {
      id: run.id,
      head_sha: run.head_sha,
      node_id: nodeId("CR", run.id),
      external_id: run.external_id ?? "",
      url: `${api}/check-runs/${run.id}`,
      html_url: `${WEB}/${fullNameOf(repo)}/runs/${run.id}`,
      details_url: run.details_url ?? `${WEB}/apps/${this.appSlug}`,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      output: {
        title: run.output.title,
        summary: run.output.summary,
        text: run.output.text,
        annotations_count: run.output.annotations_count,
        annotations_url: `${api}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: run.id + 1 },
      app: this.appJson(),
      pull_requests: pulls.map((p) => ({
        id: repo.id * 1000 + p.number,
        number: p.number,
        url: `${api}/pulls/${p.number}`,
        head: { ref: p.headRef, sha: p.headSha, repo: { id: repo.id, url: api, name: repo.name } },
        base: { ref: p.baseRef, sha: p.baseSha, repo: { id: repo.id, url: api, name: repo.name } },
      })),
      actions: run.actions,
    };
  }

  private checkRunFor(params: Record<string, string>): CheckRunState {
    const run = this.repoFor(params).checkRuns.find((r) => r.id === Number(params.check_run_id));
    if (!run) throw new HttpError(404, "Not Found");
    return run;
  }

  // ---------------------------------------------------------------- reviews

  private async createReview(repo: RepoState, pull: PullState, input: Record<string, unknown>, actor: string): Promise<Reply> {
    const commitId = typeof input.commit_id === "string" ? input.commit_id : pull.headSha;
    if ((await repo.objects.read(commitId))?.type !== "commit") {
      throw new HttpError(422, "Unprocessable Entity", { errors: ["Commit could not be resolved"] });
    }
    const event = typeof input.event === "string" ? input.event : null;
    const body = typeof input.body === "string" ? input.body : "";
    const rawComments = Array.isArray(input.comments) ? (input.comments as Record<string, unknown>[]) : [];
    if ((event === "REQUEST_CHANGES" || event === "COMMENT") && body === "" && rawComments.length === 0) {
      throw new HttpError(422, "Unprocessable Entity", { errors: [`Review body is required for ${event}`] });
    }
    if (event === "APPROVE" && actor === this.user(pull.user).login) {
      throw new HttpError(422, "Unprocessable Entity", { errors: ["Can not approve your own pull request"] });
    }
    // Comments are placed against the diff of the commit the review is for.
    const files = await this.pullFiles(repo, pull.baseSha, commitId);
    const reviewId = this.newId();
    const comments: ReviewCommentState[] = [];
    const errors: string[] = [];
    for (const raw of rawComments) {
      const placed = this.placeComment(files, raw);
      if (typeof placed === "string") {
        errors.push(placed);
        continue;
      }
      comments.push({
        id: this.newId(),
        pull_request_review_id: reviewId,
        ...placed,
        commit_id: commitId,
        body: String(raw.body ?? ""),
        user: actor,
        created_at: isoNow(),
      });
    }
    if (errors.length > 0) {
      // GitHub rejects the whole review when any one comment cannot be placed.
      throw new HttpError(422, "Unprocessable Entity", { errors });
    }
    const state: ReviewState["state"] =
      event === "APPROVE" ? "APPROVED" : event === "REQUEST_CHANGES" ? "CHANGES_REQUESTED" : event === "COMMENT" ? "COMMENTED" : "PENDING";
    const review: ReviewState = {
      id: reviewId,
      body,
      event,
      state,
      commit_id: commitId,
      user: actor,
      submitted_at: state === "PENDING" ? null : isoNow(),
      comments,
    };
    pull.reviews.push(review);
    return { status: 200, body: this.reviewJson(repo, pull, review) };
  }

  /** Resolves a review comment's line/side (or legacy position) against the real diff, or says why it cannot. */
  private placeComment(
    files: ChangedFile[],
    raw: Record<string, unknown>,
  ): Pick<ReviewCommentState, "path" | "line" | "side" | "start_line" | "start_side" | "position" | "diff_hunk"> | string {
    const path = String(raw.path ?? "");
    const file = files.find((f) => f.filename === path);
    if (!file) return `Path could not be resolved: ${path}`;
    const patchLines = file.patch ? file.patch.split("\n") : [];
    if (typeof raw.position === "number" && raw.line === undefined) {
      const position = raw.position;
      // Position counts patch lines after the first hunk header (1-based), later hunk headers included.
      if (position < 1 || position >= patchLines.length) {
        return `Position could not be resolved: ${path} position ${position}`;
      }
      return { path, line: null, side: null, start_line: null, start_side: null, position, diff_hunk: hunkUpTo(patchLines, position) };
    }
    if (typeof raw.line !== "number") return `Line could not be resolved: ${path} needs "line" or "position"`;
    const side = raw.side === "LEFT" ? "LEFT" : "RIGHT";
    const lines = commentableLines(file.patch);
    const allowed = side === "LEFT" ? lines.left : lines.right;
    if (!allowed.has(raw.line)) {
      return `pull_request_review_thread.line must be part of the diff: ${path} ${side} line ${raw.line}`;
    }
    let startLine: number | null = null;
    let startSide: "LEFT" | "RIGHT" | null = null;
    if (typeof raw.start_line === "number") {
      startSide = raw.start_side === "LEFT" ? "LEFT" : raw.start_side === "RIGHT" ? "RIGHT" : side;
      const startAllowed = startSide === "LEFT" ? lines.left : lines.right;
      if (!startAllowed.has(raw.start_line)) {
        return `pull_request_review_thread.start_line must be part of the diff: ${path} ${startSide} line ${raw.start_line}`;
      }
      if (startSide === side && raw.start_line >= raw.line) {
        return `pull_request_review_thread.start_line must precede the end line: ${path} ${raw.start_line} >= ${raw.line}`;
      }
      startLine = raw.start_line;
    }
    const position = positionOf(file.patch, raw.line, side);
    return {
      path,
      line: raw.line,
      side,
      start_line: startLine,
      start_side: startSide,
      position,
      diff_hunk: position === null ? "" : hunkUpTo(patchLines, position),
    };
  }

  private async createReply(
    repo: RepoState,
    pull: PullState,
    commentId: number,
    input: Record<string, unknown>,
    actor: string,
  ): Promise<Reply> {
    const all = pull.reviews.flatMap((r) => r.comments);
    const target = all.find((c) => c.id === commentId);
    if (!target) throw new HttpError(404, "Not Found");
    if (typeof input.body !== "string") throw new HttpError(422, "Invalid request.", { errors: ['"body" is required'] });
    const reviewId = this.newId();
    const reply: ReviewCommentState = {
      ...target,
      id: this.newId(),
      pull_request_review_id: reviewId,
      in_reply_to_id: target.in_reply_to_id ?? target.id,
      body: input.body,
      user: actor,
      created_at: isoNow(),
    };
    // On GitHub every reply arrives in a review of its own.
    pull.reviews.push({
      id: reviewId,
      body: "",
      event: "COMMENT",
      state: "COMMENTED",
      commit_id: target.commit_id,
      user: actor,
      submitted_at: isoNow(),
      comments: [reply],
    });
    return { status: 201, body: this.reviewCommentJson(repo, pull, reply) };
  }

  private reviewJson(repo: RepoState, pull: PullState, review: ReviewState) {
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    const html = `${WEB}/${fullNameOf(repo)}/pull/${pull.number}`;
    return {
      id: review.id,
      node_id: nodeId("PRR", review.id),
      user: userObject(this.baseUrl, this.user(review.user)),
      body: review.body,
      state: review.state,
      html_url: `${html}#pullrequestreview-${review.id}`,
      pull_request_url: `${api}/pulls/${pull.number}`,
      _links: { html: { href: `${html}#pullrequestreview-${review.id}` }, pull_request: { href: `${api}/pulls/${pull.number}` } },
      ...(review.submitted_at ? { submitted_at: review.submitted_at } : {}),
      commit_id: review.commit_id,
      author_association: this.association(repo, review.user),
    };
  }

  private reviewCommentJson(repo: RepoState, pull: PullState, comment: ReviewCommentState) {
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    const html = `${WEB}/${fullNameOf(repo)}/pull/${pull.number}#discussion_r${comment.id}`;
    return {
      url: `${api}/pulls/comments/${comment.id}`,
      pull_request_review_id: comment.pull_request_review_id,
      id: comment.id,
      node_id: nodeId("PRRC", comment.id),
      diff_hunk: comment.diff_hunk,
      path: comment.path,
      position: comment.position,
      original_position: comment.position,
      commit_id: comment.commit_id,
      original_commit_id: comment.commit_id,
      ...(comment.in_reply_to_id ? { in_reply_to_id: comment.in_reply_to_id } : {}),
      user: userObject(this.baseUrl, this.user(comment.user)),
      body: comment.body,
      created_at: comment.created_at,
      updated_at: comment.created_at,
      html_url: html,
      pull_request_url: `${api}/pulls/${pull.number}`,
      author_association: this.association(repo, comment.user),
      _links: {
        self: { href: `${api}/pulls/comments/${comment.id}` },
        html: { href: html },
        pull_request: { href: `${api}/pulls/${pull.number}` },
      },
      start_line: comment.start_line,
      original_start_line: comment.start_line,
      start_side: comment.start_side,
      line: comment.line,
      original_line: comment.line,
      side: comment.side ?? "RIGHT",
      subject_type: "line",
    };
  }

  // ---------------------------------------------------------------- issue comments and reactions

  private createIssueComment(repo: RepoState, issueNumber: number, input: Record<string, unknown>, actor: string): Reply {
    if (typeof input.body !== "string") throw new HttpError(422, "Invalid request.", { errors: ['"body" is required'] });
    if (input.body.length > MAX_OUTPUT_CHARS) {
      throw new HttpError(422, "Validation Failed", { errors: [{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }] });
    }
    const comment = this.addIssueComment(fullNameOf(repo), issueNumber, { body: input.body, user: actor });
    return { status: 201, body: this.issueCommentJson(repo, comment) };
  }

  private updateIssueComment(repo: RepoState, commentId: number, input: Record<string, unknown>): Reply {
    const comment = repo.issueComments.find((c) => c.id === commentId);
    if (!comment) throw new HttpError(404, "Not Found");
    if (typeof input.body !== "string") throw new HttpError(422, "Invalid request.", { errors: ['"body" is required'] });
    if (input.body.length > MAX_OUTPUT_CHARS) {
      throw new HttpError(422, "Validation Failed", { errors: [{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }] });
    }
    comment.edits.push(comment.body);
    comment.body = input.body;
    comment.updated_at = isoNow();
    return { status: 200, body: this.issueCommentJson(repo, comment) };
  }

  private issueCommentJson(repo: RepoState, comment: IssueCommentState) {
    const api = `${this.baseUrl}/repos/${fullNameOf(repo)}`;
    const isPull = repo.pulls.has(comment.issue_number);
    const html = `${WEB}/${fullNameOf(repo)}/${isPull ? "pull" : "issues"}/${comment.issue_number}#issuecomment-${comment.id}`;
    const reactions = this.reactionsByComment.get(comment.id) ?? [];
    const count = (content: string) => reactions.filter((r) => r.content === content).length;
    return {
      id: comment.id,
      node_id: nodeId("IC", comment.id),
      url: `${api}/issues/comments/${comment.id}`,
      html_url: html,
      body: comment.body,
      user: userObject(this.baseUrl, this.user(comment.user)),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      issue_url: `${api}/issues/${comment.issue_number}`,
      author_association: this.association(repo, comment.user),
      reactions: {
        url: `${api}/issues/comments/${comment.id}/reactions`,
        total_count: reactions.length,
        "+1": count("+1"),
        "-1": count("-1"),
        laugh: count("laugh"),
        confused: count("confused"),
        heart: count("heart"),
        hooray: count("hooray"),
        eyes: count("eyes"),
        rocket: count("rocket"),
      },
    };
  }

  private createReaction(repo: RepoState, commentId: number, input: Record<string, unknown>, actor: string): Reply {
    if (!repo.issueComments.some((c) => c.id === commentId)) throw new HttpError(404, "Not Found");
    const content = String(input.content ?? "");
    if (!["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"].includes(content)) {
      throw new HttpError(422, "Validation Failed", { errors: [{ resource: "Reaction", code: "invalid", field: "content" }] });
    }
    const list = this.reactionsByComment.get(commentId) ?? [];
    const existing = list.find((r) => r.content === content && r.user === actor);
    const reaction = existing ?? { id: this.newId(), content, user: actor };
    if (!existing) list.push(reaction);
    this.reactionsByComment.set(commentId, list);
    return {
      // GitHub answers 200 when the same user already left the same reaction.
      status: existing ? 200 : 201,
      body: {
        id: reaction.id,
        node_id: nodeId("REA", reaction.id),
        user: userObject(this.baseUrl, this.user(reaction.user)),
        content: reaction.content,
        created_at: isoNow(),
      },
    };
  }

  // ---------------------------------------------------------------- permissions

  private permissionLevel(repo: RepoState, username: string): Reply {
    const explicit = repo.permissions.get(username);
    // Non-collaborators read public repositories and see nothing of private ones.
    const permission: Permission = explicit ?? (repo.private ? "none" : "read");
    return {
      status: 200,
      body: {
        permission,
        role_name: permission,
        user: {
          ...userObject(this.baseUrl, this.user(username)),
          permissions: {
            admin: permission === "admin",
            maintain: permission === "admin",
            push: permission === "admin" || permission === "write",
            triage: permission !== "none",
            pull: permission !== "none",
          },
          role_name: permission,
        },
      },
    };
  }

  private association(repo: RepoState, login: string): string {
    if (login === repo.owner.login) return "OWNER";
    if (login.endsWith("[bot]")) return "NONE";
    const permission = repo.permissions.get(login);
    return permission && permission !== "none" ? "COLLABORATOR" : "CONTRIBUTOR";
  }

  // ---------------------------------------------------------------- lookups

  private page(items: unknown[], query: URLSearchParams, url: URL): Reply {
    const perPage = clampPerPage(query.get("per_page"), 100);
    const pageNumber = Math.max(1, Number(query.get("page") ?? 1) || 1);
    const lastPage = Math.max(1, Math.ceil(items.length / perPage));
    const link = linkHeader(url, pageNumber, lastPage);
    return {
      status: 200,
      headers: link ? { link } : {},
      body: items.slice((pageNumber - 1) * perPage, pageNumber * perPage),
    };
  }

  private repoFor(params: Record<string, string>): RepoState {
    const repo = this.repos.get(`${params.owner}/${params.repo}`.toLowerCase());
    if (!repo) throw new HttpError(404, "Not Found");
    return repo;
  }

  private pullFor(params: Record<string, string>): PullState {
    const pull = this.repoFor(params).pulls.get(Number(params.pull_number));
    if (!pull) throw new HttpError(404, "Not Found");
    return pull;
  }

  private issueNumberFor(repo: RepoState, params: Record<string, string>): number {
    const issueNumber = Number(params.issue_number);
    if (!(issueNumber >= 1 && issueNumber < repo.nextIssueNumber)) throw new HttpError(404, "Not Found");
    return issueNumber;
  }

  private requireRepo(fullName: string): RepoState {
    const repo = this.repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`no repository ${fullName} in the stand-in`);
    return repo;
  }

  private requirePull(repo: RepoState, number: number): PullState {
    const pull = repo.pulls.get(number);
    if (!pull) throw new Error(`no pull request #${number} in ${fullNameOf(repo)}`);
    return pull;
  }

  private user(login: string, type?: UserRef["type"]): UserRef {
    let user = this.users.get(login);
    if (!user) {
      user = { login, id: this.newId(), type: type ?? (login.endsWith("[bot]") ? "Bot" : "User") };
      this.users.set(login, user);
    }
    return user;
  }

  private newId(): number {
    return this.nextId++;
  }
}

function matches(matcher: RequestMatcher, method: string, path: string, template: string | null): boolean {
  if (matcher.method && matcher.method.toUpperCase() !== method) return false;
  return typeof matcher.route === "string" ? matcher.route === template : matcher.route.test(path);
}

/** The diff hunk GitHub shows above a review comment: from its hunk header down to the commented line. */
function hunkUpTo(patchLines: string[], position: number): string {
  let start = position;
  while (start > 0 && !patchLines[start]!.startsWith("@@")) start--;
  return patchLines.slice(start, position + 1).join("\n");
}

function isWellFormedJwt(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as Record<string, unknown>;
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
    return typeof header.alg === "string" && payload.iss !== undefined && typeof payload.exp === "number";
  } catch {
    return false;
  }
}

function clampPerPage(value: string | null, max: number): number {
  const n = Number(value ?? 30);
  if (!Number.isFinite(n) || n < 1) return 30;
  return Math.min(max, Math.floor(n));
}

function linkHeader(url: URL, page: number, lastPage: number): string | null {
  const links: string[] = [];
  const at = (n: number) => {
    const next = new URL(url);
    next.searchParams.set("page", String(n));
    return next.toString();
  };
  if (page < lastPage) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(lastPage)}>; rel="last"`);
  if (page > 1) links.push(`<${at(1)}>; rel="first"`, `<${at(page - 1)}>; rel="prev"`);
  return links.length > 0 ? links.join(", ") : null;
}

function fullNameOf(repo: RepoState): string {
  return `${repo.owner.login}/${repo.name}`;
}


async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
