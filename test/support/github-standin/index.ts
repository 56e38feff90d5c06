export { startGitHubStandin, generateAppCredentials, GitHubStandin } from "./server.js";
export { RepoHandle } from "./repo-handle.js";
export type {
  StandinOptions,
  RecordedRequest,
  FailureInjection,
  RequestMatcher,
  HeldRequest,
  PullRequestInfo,
  Annotation,
  CheckRunAction,
  CheckRunState,
  ReviewState,
  ReviewCommentState,
  IssueCommentState,
  ReactionState,
  Permission,
} from "./types.js";
export type { Violation } from "./openapi.js";
export type { FileChanges } from "./git.js";
export { commentableLines, type CommentableLines } from "./diff-lines.js";
