import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.js";
import { levenshtein, nearest, validateConfig, validKeysAt } from "../../src/config/validate.js";
import { DEFAULT_CONFIG } from "../../src/core/config.js";

const FILE = ".github/index-audit.yml";

function failure(text: string, knownRules?: string[]): string {
  const outcome = parseConfigText(text, FILE, knownRules);
  if (outcome.ok) throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
  return outcome.message;
}

describe("validateConfig", () => {
  it("resolves a valid file with every default filled in", () => {
    const outcome = validateConfig(
      {
        "fail-on": "routine",
        rules: { "fk-index": "important", "redundant-index": { severity: "off" } },
        tables: { widget_pageviews: { rows: 100_000_000, "append-only": true } },
        ignore: [{ rule: "fk-index", table: "call_logs", columns: ["site_id"], reason: "rarely queried" }],
        migrations: { paths: ["supabase/migrations"], framework: "supabase" },
      },
      FILE,
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.config.failOn).toBe("routine");
    expect(outcome.config.rules).toEqual({ "fk-index": "important", "redundant-index": "off" });
    expect(outcome.config.tables.widget_pageviews).toEqual({ rows: 100_000_000, appendOnly: true });
    expect(outcome.config.migrations.framework).toBe("supabase");
    expect(outcome.config.partitionThreshold).toBe(DEFAULT_CONFIG.partitionThreshold);
  });

  it("treats an empty file as no settings", () => {
    expect(validateConfig(null, FILE)).toEqual({ ok: true, config: DEFAULT_CONFIG });
    expect(parseConfigText("# only a comment\n", FILE)).toMatchObject({ ok: true, config: DEFAULT_CONFIG });
  });

  it("suggests the nearest valid key for an unknown top-level key", () => {
    const message = failure("fail_on: important\n");
    expect(message).toContain('unknown key "fail_on" at top level — did you mean "fail-on"?');
    expect(message).toContain(`${FILE}:1:`);
  });

  it("suggests nested keys from the level the typo is at", () => {
    expect(failure("migrations:\n  paths: [db]\n  framwork: prisma\n")).toContain(
      `${FILE}:3: unknown key "framwork" at migrations — did you mean "framework"?`,
    );
    expect(failure("rules:\n  fk-index:\n    severty: routine\n")).toContain('unknown key "severty" at rules.fk-index — did you mean "severity"?');
    expect(failure("tables:\n  call_logs:\n    append_only: true\n")).toContain('at tables.call_logs — did you mean "append-only"?');
    expect(failure("ignore:\n  - rule: fk-index\n    colums: [a]\n")).toContain('unknown key "colums" at ignore[0] — did you mean "columns"?');
  });

  it("lists the valid keys when nothing is close", () => {
    const message = failure("zzzzzzzz: 1\n");
    expect(message).toContain('unknown key "zzzzzzzz" at top level (valid keys: migrations, code, rules');
  });

  it("names the key path and the expected values for a wrong value", () => {
    expect(failure("rules:\n  fk-index: high\n")).toContain(
      `${FILE}:2: rules.fk-index: expected one of "important", "routine", "noted", "off" or a mapping with "severity", got "high"`,
    );
    expect(failure("rules:\n  fk-index: {severity: bad}\n")).toContain('rules.fk-index.severity: expected one of "important", "routine", "noted", "off", got "bad"');
    expect(failure("fail-on: sometimes\n")).toContain('fail-on: expected one of "important", "routine", "noted", "never", got "sometimes"');
    expect(failure("tables:\n  call_logs:\n    rows: -5\n")).toContain("tables.call_logs.rows: expected a number at least 0, got -5");
    expect(failure("tables:\n  call_logs:\n    rows: lots\n")).toContain('tables.call_logs.rows: expected a number, got "lots"');
    expect(failure("ignore:\n  - table: call_logs\n")).toContain("ignore[0].rule: required, expected a string");
    expect(failure("migrations:\n  paths: supabase/migrations\n")).toContain('migrations.paths: expected a list, got "supabase/migrations"');
  });

  it("rejects a file that is not a mapping", () => {
    expect(failure("- a\n- b\n")).toContain("expected a mapping (key: value), got a list");
  });

  it("reports every problem in one message, each with its line", () => {
    const message = failure("fail_on: x\ntables:\n  t:\n    rows: -1\n");
    expect(message).toMatch(/^invalid configuration \(2 problems\):/);
    expect(message).toContain(`${FILE}:1: unknown key "fail_on"`);
    expect(message).toContain(`${FILE}:4: tables.t.rows`);
  });

  it("rejects unknown rule ids with the nearest known one", () => {
    const message = failure("rules:\n  fk-indx: off\n", ["fk-index", "redundant-index"]);
    expect(message).toContain(`${FILE}:2: unknown rule "fk-indx" at rules — did you mean "fk-index"?`);
    expect(parseConfigText("rules:\n  fk-index: off\n", FILE, ["fk-index"]).ok).toBe(true);
  });

  it("names file, line and column for YAML syntax errors", () => {
    expect(failure("rules: [fk-index\n")).toMatch(/^\.github\/index-audit\.yml:2:1: YAML syntax error: /);
    expect(failure("fail-on: important\nfail-on: routine\n")).toMatch(/^\.github\/index-audit\.yml:2:1: YAML syntax error: Map keys must be unique/);
    expect(failure("tables:\n  t:\n   rows: 1\n  bad indent\n")).toMatch(/^\.github\/index-audit\.yml:\d+:\d+: YAML syntax error/);
  });

  it("warns that _extends is for the app only", () => {
    const outcome = parseConfigText("_extends: .github\n", FILE);
    expect(outcome.ok && outcome.warnings[0]).toContain('"_extends" is resolved only by the GitHub App');
  });
});

describe("key suggestions", () => {
  it("reads valid keys from the schema at each level", () => {
    expect(validKeysAt([])).toContain("fail-on");
    expect(validKeysAt(["migrations"])).toEqual(["paths", "framework", "exclude"]);
    expect(validKeysAt(["rules", "fk-index"])).toEqual(["severity"]);
    expect(validKeysAt(["ignore", 0])).toEqual(["rule", "table", "columns", "reason"]);
    expect(validKeysAt(["tables", "x"])).toEqual(["rows", "append-only"]);
  });

  it("measures edit distance and refuses far-fetched suggestions", () => {
    expect(levenshtein("kitten", "sitting")).toBe(3);
    expect(levenshtein("", "abc")).toBe(3);
    expect(nearest("FAIL-ON", ["fail-on", "rules"])).toBe("fail-on");
    expect(nearest("tabels", ["tables", "rules"])).toBe("tables");
    expect(nearest("completely-different", ["rules", "code"])).toBeUndefined();
  });
});
