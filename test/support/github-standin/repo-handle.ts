import { commitOnBranch, git, resolveRef, type FileChanges } from "./git.js";
import type { GitHubStandin } from "./server.js";
import { isoNow, repoObject } from "./shapes.js";
import type { PullRequestInfo, PullState, RepoState } from "./types.js";

export class RepoHandle {
  constructor(
    private readonly standin: GitHubStandin,
    private readonly state: RepoState,
  ) {}

  get owner(): string {
    return this.state.owner.login;
  }
  get name(): string {
    return this.state.name;
  }
  get fullName(): string {
    return `${this.state.owner.login}/${this.state.name}`;
  }
  get id(): number {
    return this.state.id;
  }
  get dir(): string {
    return this.state.dir;
  }
  get defaultBranch(): string {
    return this.state.defaultBranch;
  }
  /** The repository as GitHub's REST API and webhook payloads describe it. */
  get apiObject(): ReturnType<typeof repoObject> {
    return repoObject(this.standin.url, this.state);
  }

  /** Commits on `branch` (branched from the default branch when new); `null` deletes a path. Returns the commit SHA. */
  async commit(options: { branch?: string; files: FileChanges; message?: string }): Promise<string> {
    const branch = options.branch ?? this.state.defaultBranch;
    const sha = await commitOnBranch(
      this.state.dir,
      branch,
      options.files,
      options.message ?? `Update ${Object.keys(options.files).length} file(s)`,
      this.state.defaultBranch,
    );
    for (const pull of this.state.pulls.values()) {
      if (pull.state !== "open") continue;
      if (pull.headRef === branch) {
        pull.headSha = sha;
        pull.updatedAt = isoNow();
      }
      if (pull.baseRef === branch) pull.baseSha = sha;
    }
    return sha;
  }

  async createBranch(name: string, from?: string): Promise<string> {
    const start = from ?? this.state.defaultBranch;
    await git(this.state.dir, ["branch", name, start]);
    return this.headOf(name);
  }

  async headOf(branch: string): Promise<string> {
    const sha = await resolveRef(this.state.dir, `refs/heads/${branch}`);
    if (!sha) throw new Error(`no branch ${branch} in ${this.fullName}`);
    return sha;
  }

  async openPullRequest(options: {
    head: string;
    base?: string;
    title?: string;
    body?: string;
    user?: string;
    draft?: boolean;
  }): Promise<PullRequestInfo> {
    const base = options.base ?? this.state.defaultBranch;
    const number = this.state.nextIssueNumber++;
    const pull: PullState = {
      number,
      headRef: options.head,
      baseRef: base,
      headSha: await this.headOf(options.head),
      baseSha: await this.headOf(base),
      title: options.title ?? `Pull request ${number}`,
      body: options.body ?? "",
      user: options.user ?? "octocat",
      draft: options.draft ?? false,
      state: "open",
      createdAt: isoNow(),
      updatedAt: isoNow(),
      reviews: [],
    };
    this.state.pulls.set(number, pull);
    return this.pullRequest(number);
  }

  /** Commits on the pull request's head branch, as a push would; returns the new head SHA. */
  async pushToPullRequest(number: number, options: { files: FileChanges; message?: string }): Promise<string> {
    const pull = this.requirePull(number);
    return this.commit({ branch: pull.headRef, files: options.files, message: options.message });
  }

  /** Points an open pull request at another base branch (the "edited" event with a base change). */
  async changeBase(number: number, base: string): Promise<PullRequestInfo> {
    const pull = this.requirePull(number);
    pull.baseRef = base;
    pull.baseSha = await this.headOf(base);
    return this.pullRequest(number);
  }

  pullRequest(number: number): PullRequestInfo {
    const { headRef, baseRef, headSha, baseSha } = this.requirePull(number);
    return { number, headRef, baseRef, headSha, baseSha };
  }

  /** The pull request as GitHub's REST API and webhook payloads describe it. */
  async pullRequestObject(number: number): Promise<Record<string, unknown>> {
    return this.standin.pullObjectFor(this.state, this.requirePull(number));
  }

  setDefaultBranch(name: string): void {
    this.state.defaultBranch = name;
  }

  private requirePull(number: number): PullState {
    const pull = this.state.pulls.get(number);
    if (!pull) throw new Error(`no pull request #${number} in ${this.fullName}`);
    return pull;
  }
}

