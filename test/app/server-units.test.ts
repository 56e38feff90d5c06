// Pieces of the app's server that need no process: settings from the environment, signatures, and
// what a logged error keeps.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { errorFields, settingsFromEnv, signatureMatches } from "../../src/app/server.js";

const KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";

describe("settings", () => {
  it("refuses a missing or blank WEBHOOK_SECRET instead of falling back to a public default", () => {
    expect(() => settingsFromEnv({ APP_ID: "1", PRIVATE_KEY: KEY })).toThrow(/WEBHOOK_SECRET is not set/);
    expect(() => settingsFromEnv({ APP_ID: "1", PRIVATE_KEY: KEY, WEBHOOK_SECRET: "  " })).toThrow(/WEBHOOK_SECRET is not set/);
  });

  it("reads durations, the API URL for GitHub Enterprise Server and the _extends owners", () => {
    const s = settingsFromEnv({ APP_ID: "7", PRIVATE_KEY: KEY, WEBHOOK_SECRET: "s", GHE_HOST: "ghe.example.com", AUDIT_TIMEOUT_MS: "1000", CONFIG_EXTENDS_OWNERS: "acme, shared-org" });
    expect(s).toMatchObject({ appId: 7, baseUrl: "https://ghe.example.com/api/v3", auditTimeoutMs: 1000, staleAfterMs: 61_000, extendsOwners: ["acme", "shared-org"] });
    expect(() => settingsFromEnv({ APP_ID: "7", PRIVATE_KEY: KEY, WEBHOOK_SECRET: "s", DRAIN_TIMEOUT_MS: "soon" })).toThrow(/DRAIN_TIMEOUT_MS must be a number/);
  });
});

it("checks X-Hub-Signature-256 over the exact bytes", () => {
  const body = Buffer.from('{"action":"opened"}');
  const good = `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`;
  expect(signatureMatches("s3cret", body, good)).toBe(true);
  expect(signatureMatches("s3cret", Buffer.from('{"action":"closed"}'), good)).toBe(false);
  expect(signatureMatches("other", body, good)).toBe(false);
  expect(signatureMatches("s3cret", body, undefined)).toBe(false);
  expect(signatureMatches("s3cret", body, "sha1=abc")).toBe(false);
});

it("a logged webhook error keeps its message, never the delivery it carries", () => {
  const inner = Object.assign(new Error("handler failed"), { event: { id: "d1", name: "pull_request", payload: "x".repeat(100_000) } });
  const fields = errorFields(new AggregateError([inner], "handler failed"));
  const text = JSON.stringify(fields);
  expect(fields).toMatchObject({ type: "AggregateError", message: "handler failed", errors: ["Error: handler failed"] });
  expect(text).not.toContain("xxxxxxxx");
  expect(text.length).toBeLessThan(3_000);
});
