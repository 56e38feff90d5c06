import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

// A fixed identity and clock-free environment so commits never depend on the machine's git config.
const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "Monalisa Octocat",
  GIT_AUTHOR_EMAIL: "octocat@github.com",
  GIT_COMMITTER_NAME: "Monalisa Octocat",
  GIT_COMMITTER_EMAIL: "octocat@github.com",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  LC_ALL: "C",
};

export async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", args, {
    cwd: dir,
    env: GIT_ENV,
    maxBuffer: 512 * 1024 * 1024,
    encoding: "utf8",
  });
  return stdout;
}

export type FileChanges = Record<string, string | Buffer | null>;

export async function initRepository(dir: string, defaultBranch: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git(dir, ["init", "--quiet", `--initial-branch=${defaultBranch}`]);
  await git(dir, ["config", "commit.gpgsign", "false"]);
  await git(dir, ["config", "core.autocrlf", "false"]);
  // No background repacking: the long-lived cat-file reader should always find loose objects where it left them.
  await git(dir, ["config", "gc.auto", "0"]);
}

export async function writeChanges(dir: string, files: FileChanges): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    if (content === null) {
      await rm(target, { force: true });
    } else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
  }
}

/** Commits `files` on `branch` (created from `from` when missing) and returns the new commit SHA. */
export async function commitOnBranch(
  dir: string,
  branch: string,
  files: FileChanges,
  message: string,
  from: string | null,
): Promise<string> {
  const exists = (await git(dir, ["branch", "--list", branch])).trim() !== "";
  if (exists) {
    await git(dir, ["checkout", "--quiet", "--force", branch]);
  } else if (from) {
    await git(dir, ["checkout", "--quiet", "--force", "-b", branch, from]);
  } else {
    await git(dir, ["checkout", "--quiet", "--force", "--orphan", branch]);
  }
  await writeChanges(dir, files);
  await git(dir, ["add", "--all"]);
  await git(dir, ["commit", "--quiet", "--allow-empty", "--no-verify", "-m", message]);
  return (await git(dir, ["rev-parse", "HEAD"])).trim();
}

export async function resolveRef(dir: string, ref: string): Promise<string | null> {
  try {
    return (await git(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim() || null;
  } catch {
    return null;
  }
}

export interface TreeEntry {
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  size?: number;
  path: string;
}

/** Entries of a tree; recursive listings include the intermediate trees, as GitHub's do. */
export async function listTree(dir: string, treeish: string, recursive: boolean): Promise<TreeEntry[]> {
  const args = ["ls-tree", "-l", "-z", ...(recursive ? ["-r", "-t"] : []), treeish];
  const out = await git(dir, args);
  const entries: TreeEntry[] = [];
  for (const record of out.split("\0")) {
    if (!record) continue;
    const tab = record.indexOf("\t");
    const [mode, type, sha, size] = record.slice(0, tab).split(/\s+/);
    entries.push({
      mode: mode!,
      type: type as TreeEntry["type"],
      sha: sha!,
      size: size === "-" || size === undefined ? undefined : Number(size),
      path: record.slice(tab + 1),
    });
  }
  return entries;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorDate: string;
  committerName: string;
  committerEmail: string;
  committerDate: string;
  message: string;
}

export async function readCommit(dir: string, sha: string): Promise<CommitInfo> {
  const format = ["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"].join("%x00");
  const out = await git(dir, ["show", "-s", `--format=${format}`, sha]);
  const [full, tree, parents, an, ae, ad, cn, ce, cd, ...message] = out.split("\0");
  return {
    sha: full!,
    tree: tree!,
    parents: parents ? parents.split(" ").filter(Boolean) : [],
    authorName: an!,
    authorEmail: ae!,
    authorDate: toUtc(ad!),
    committerName: cn!,
    committerEmail: ce!,
    committerDate: toUtc(cd!),
    message: message.join("\0").replace(/\n+$/, ""),
  };
}

function toUtc(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export interface ChangedFile {
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  filename: string;
  previous_filename?: string;
  sha: string;
  additions: number;
  deletions: number;
  changes: number;
  /** Unified diff hunks without the file header, like GitHub's `patch`; absent for binary files. */
  patch?: string;
  binary: boolean;
}

/** Files changed between two commits (three-dot semantics: from the merge base), with patches. */
export async function diffFiles(dir: string, base: string, head: string): Promise<ChangedFile[]> {
  const mergeBase = (await git(dir, ["merge-base", base, head])).trim();
  const raw = await git(dir, ["diff", "--raw", "-z", "--no-abbrev", "-M", mergeBase, head]);
  const numstat = await git(dir, ["diff", "--numstat", "-z", "-M", mergeBase, head]);
  const patchText = await git(dir, ["diff", "-M", "--no-color", "--no-ext-diff", "-U3", mergeBase, head]);

  const files: ChangedFile[] = [];
  const parts = raw.split("\0");
  for (let i = 0; i < parts.length; ) {
    const header = parts[i++];
    if (!header) continue;
    const [, , , newSha, statusField] = header.slice(1).split(" ");
    const code = statusField![0];
    const firstPath = parts[i++]!;
    let filename = firstPath;
    let previous: string | undefined;
    if (code === "R" || code === "C") {
      previous = firstPath;
      filename = parts[i++]!;
    }
    const status: ChangedFile["status"] =
      code === "A" ? "added" : code === "D" ? "removed" : code === "R" ? "renamed" : code === "C" ? "copied" : code === "M" ? "modified" : "changed";
    files.push({
      status,
      filename,
      ...(previous ? { previous_filename: previous } : {}),
      sha: code === "D" ? "0000000000000000000000000000000000000000" : newSha!,
      additions: 0,
      deletions: 0,
      changes: 0,
      binary: false,
    });
  }

  const stats = parseNumstat(numstat);
  const patches = splitPatches(patchText);
  for (const file of files) {
    const stat = stats.get(file.filename);
    if (stat) {
      file.binary = stat.binary;
      file.additions = stat.additions;
      file.deletions = stat.deletions;
      file.changes = stat.additions + stat.deletions;
    }
    const patch = patches.get(file.filename);
    if (patch !== undefined && !file.binary) file.patch = patch;
  }
  return files;
}

function parseNumstat(out: string): Map<string, { additions: number; deletions: number; binary: boolean }> {
  const stats = new Map<string, { additions: number; deletions: number; binary: boolean }>();
  const parts = out.split("\0");
  for (let i = 0; i < parts.length; ) {
    const record = parts[i++];
    if (!record) continue;
    const [added, deleted, path] = record.split("\t");
    let filename = path ?? "";
    if (filename === "") {
      // Renames: "added\tdeleted\t" followed by the old and new path as separate fields.
      i++;
      filename = parts[i++]!;
    }
    const binary = added === "-";
    stats.set(filename, { additions: binary ? 0 : Number(added), deletions: binary ? 0 : Number(deleted), binary });
  }
  return stats;
}

/** Splits `git diff` output per file, keyed by the new path, keeping only the hunks. */
function splitPatches(text: string): Map<string, string> {
  const patches = new Map<string, string>();
  const sections = text.split(/^diff --git /m).slice(1);
  for (const section of sections) {
    const lines = section.split("\n");
    let newPath: string | null = null;
    let oldPath: string | null = null;
    let firstHunk = -1;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith("@@")) {
        firstHunk = i;
        break;
      }
      if (line.startsWith("+++ ")) newPath = stripDiffPrefix(line.slice(4));
      else if (line.startsWith("--- ")) oldPath = stripDiffPrefix(line.slice(4));
      else if (line.startsWith("rename to ")) newPath = line.slice("rename to ".length);
      else if (line.startsWith("rename from ")) oldPath = line.slice("rename from ".length);
    }
    if (newPath === null || newPath === "/dev/null") newPath = oldPath;
    if (newPath === null) {
      // Mode-only change or pure rename: "a/x b/x" on the header line.
      const match = /^a\/(.*) b\/(.*)$/.exec(lines[0] ?? "");
      if (match) newPath = match[2]!;
    }
    if (newPath === null) continue;
    const hunkLines = firstHunk >= 0 ? lines.slice(firstHunk) : [];
    while (hunkLines.length > 0 && hunkLines[hunkLines.length - 1] === "") hunkLines.pop();
    patches.set(newPath, hunkLines.join("\n"));
  }
  return patches;
}

function stripDiffPrefix(path: string): string {
  if (path === "/dev/null") return path;
  const unquoted = path.startsWith('"') ? JSON.parse(path) as string : path;
  return unquoted.replace(/^[ab]\//, "");
}

export async function aheadBehind(dir: string, base: string, head: string): Promise<{ ahead: number; behind: number }> {
  const out = (await git(dir, ["rev-list", "--left-right", "--count", `${base}...${head}`])).trim();
  const [behind, ahead] = out.split(/\s+/).map(Number);
  return { ahead: ahead ?? 0, behind: behind ?? 0 };
}

export async function commitsBetween(dir: string, base: string, head: string): Promise<string[]> {
  const out = await git(dir, ["rev-list", "--reverse", `${base}..${head}`]);
  return out.split("\n").filter(Boolean);
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface GitObject {
  sha: string;
  type: string;
  content: Buffer;
}

/**
 * One long-lived `git cat-file --batch` per repository: a blob request costs a pipe write,
 * not two process starts, so thousands of blob fetches stay cheap.
 */
export class ObjectReader {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: { resolve: (object: GitObject | null) => void; reject: (error: Error) => void }[] = [];
  private closed = false;

  constructor(private readonly dir: string) {}

  read(name: string): Promise<GitObject | null> {
    if (this.closed) return Promise.reject(new Error("object reader closed"));
    if (/[\n\r]/.test(name) || name === "") return Promise.resolve(null);
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      child.stdin.write(`${name}\n`);
    });
  }

  close(): void {
    this.closed = true;
    this.child?.stdin.end();
    this.child?.kill();
    this.child = null;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn("git", ["cat-file", "--batch"], { cwd: this.dir, env: GIT_ENV });
    child.stdout.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (error: Error) => {
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
      this.child = null;
    };
    child.on("error", fail);
    child.on("exit", () => fail(new Error("git cat-file --batch exited")));
    this.child = child;
    return child;
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const header = this.buffer.subarray(0, newline).toString("utf8");
      if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.waiting.shift()!.resolve(null);
        continue;
      }
      const [sha, type, sizeText] = header.split(" ");
      const size = Number(sizeText);
      // Header, content, and the newline git writes after the content.
      if (this.buffer.length < newline + 1 + size + 1) return;
      const content = Buffer.from(this.buffer.subarray(newline + 1, newline + 1 + size));
      this.buffer = this.buffer.subarray(newline + 1 + size + 1);
      this.waiting.shift()!.resolve({ sha: sha!, type: type!, content });
    }
  }
}
