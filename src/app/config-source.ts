// Reads `.github/index-audit.yml` for the app as Probot's `context.config` does (the repository's
// file, else the owner's `.github` repository's; `_extends: [owner/]repo[:path]` chains merged
// deeply, arrays concatenated), with two rules of its own:
// - `_extends` may name only repositories of the same owner, unless the operator lists other owners
//   (CONFIG_EXTENDS_OWNERS): a pull request's verdict must not depend on someone else's repository;
// - an `_extends` whose target does not exist is an error shown on the check, not an empty config.
import type { Octokit } from "./audit-run.js";

const CONFIG_FILE = ".github/index-audit.yml";

export class ConfigSourceError extends Error {}

interface ConfigFile {
  owner: string;
  repo: string;
  path: string;
  config: Record<string, unknown> | null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** deepmerge's default, which `context.config` uses: objects merged key by key, arrays concatenated. */
export function mergeDeep(target: unknown, source: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(source)) return [...target, ...source];
  if (isPlainObject(target) && isPlainObject(source)) {
    const out: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(source)) out[key] = key in out ? mergeDeep(out[key], value) : value;
    return out;
  }
  return source;
}

/** A reader for loadAppConfig: the merged object, or null when no file exists; throws on a refused or missing `_extends`. */
export function configReader(octokit: Octokit, owner: string, repo: string, extendsOwners: readonly string[] = []): () => Promise<unknown> {
  const allowed = new Set([owner, ...extendsOwners].map((o) => o.toLowerCase()));
  return async () => {
    const { files } = await octokit.config.get({ owner, repo, path: CONFIG_FILE });
    const chain = files as ConfigFile[];
    const first = chain.findIndex((f) => f.config !== null);
    if (first < 0) return null;
    for (const file of chain.slice(first + 1)) {
      const name = `${file.owner}/${file.repo}${file.path === CONFIG_FILE ? "" : `:${file.path}`}`;
      if (!allowed.has(file.owner.toLowerCase())) {
        throw new ConfigSourceError(
          `_extends: ${name} belongs to another owner; the app reads configuration only from ${owner}'s repositories${extendsOwners.length ? ` and ${extendsOwners.join(", ")}` : ""}`,
        );
      }
      if (file.config === null) throw new ConfigSourceError(`_extends: ${name} was not found (no such repository or file)`);
    }
    // Closest file last, as context.config merges them.
    return chain
      .slice(first)
      .map((f) => f.config)
      .reverse()
      .reduce<unknown>((merged, config) => mergeDeep(merged, config), {});
  };
}
