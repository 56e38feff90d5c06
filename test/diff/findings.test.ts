import { describe, expect, it } from "vitest";
import { atOrAbove, conclusionFor, diffFindings } from "../../src/diff/findings.js";
import type { Finding, Severity } from "../../src/core/types.js";

function finding(id: string, severity: Severity, line = 1): Finding {
  return { id, rule: "fk-index", severity, table: "public.t", columns: ["a"], message: `finding ${id}`, location: { file: "m.sql", line, column: 1 } };
}

describe("diffFindings", () => {
  it("matches by id, not by line: a finding that moved is existing, with the head's location", () => {
    const base = [finding("a", "important", 3), finding("b", "routine", 9)];
    const head = [finding("a", "important", 30), finding("c", "noted", 2)];
    const diff = diffFindings(base, head);
    expect(diff.new.map((f) => f.id)).toEqual(["c"]);
    expect(diff.existing.map((f) => [f.id, f.location.line])).toEqual([["a", 30]]);
    expect(diff.fixed.map((f) => f.id)).toEqual(["b"]);
  });

  it("sorts most severe first", () => {
    const diff = diffFindings([], [finding("n", "noted"), finding("i", "important"), finding("r", "routine")]);
    expect(diff.new.map((f) => f.severity)).toEqual(["important", "routine", "noted"]);
  });

  it("with no base, treats everything as existing", () => {
    const diff = diffFindings(null, [finding("a", "important")]);
    expect(diff.new).toEqual([]);
    expect(diff.existing).toHaveLength(1);
  });
});

describe("conclusionFor", () => {
  it("fails on a new finding at or above fail-on, never on existing debt", () => {
    const withNew = diffFindings([], [finding("a", "important")]);
    expect(conclusionFor(withNew, "important", "success")).toBe("failure");
    const onlyDebt = diffFindings([finding("a", "important")], [finding("a", "important")]);
    expect(conclusionFor(onlyDebt, "important", "success")).toBe("success");
  });

  it("is neutral for new lower findings only when configured", () => {
    const lower = diffFindings([], [finding("a", "routine")]);
    expect(conclusionFor(lower, "important", "success")).toBe("success");
    expect(conclusionFor(lower, "important", "neutral")).toBe("neutral");
    expect(conclusionFor(lower, "routine", "neutral")).toBe("failure");
    expect(conclusionFor(lower, "never", "success")).toBe("success");
  });

  it("orders severities", () => {
    expect(atOrAbove("important", "routine")).toBe(true);
    expect(atOrAbove("noted", "routine")).toBe(false);
    expect(atOrAbove("important", "never")).toBe(false);
  });
});
