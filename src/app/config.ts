// The app's configuration: `.github/index-audit.yml` from the default branch (Probot's config
// loading, `_extends` included), validated with the same schema and messages as the CLI.
import { DEFAULT_CONFIG, type AuditConfig } from "../core/config.js";
import { validateConfig } from "../config/validate.js";
import { CONFIG_PATH } from "./relevance.js";

export type ConfigOutcome = { ok: true; config: AuditConfig } | { ok: false; message: string };

/** `read` is `context.config("index-audit.yml")`: the merged object, or null when no file exists. */
export async function loadAppConfig(read: () => Promise<unknown>, knownRules?: readonly string[]): Promise<ConfigOutcome> {
  let raw: unknown;
  try {
    raw = await read();
  } catch (error) {
    const status = (error as { status?: number }).status;
    // A server error is not the user's fault: let the caller report it as such.
    if (typeof status === "number" && status >= 500) throw error;
    return { ok: false, message: `${CONFIG_PATH}: ${cleanPluginMessage((error as Error).message)}` };
  }
  if (raw === null || raw === undefined) return { ok: true, config: DEFAULT_CONFIG };
  const outcome = validateConfig(raw, CONFIG_PATH, { knownRules });
  return outcome.ok ? { ok: true, config: outcome.config } : { ok: false, message: outcome.message };
}

function cleanPluginMessage(message: string): string {
  return message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "");
}

/** A key that changes when any setting changes, to reuse audits made under the same settings. */
export function configKey(config: AuditConfig): string {
  return JSON.stringify(config);
}
