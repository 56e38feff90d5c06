import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { docsUrl } from "../../src/rules/rule.js";
import { buildSarif, sarifLevel } from "../../src/report/sarif.js";
import { reconnectFinding, exampleLikeResult, siteFinding } from "./hand-built.js";

// The parts of the SARIF 2.1.0 schema (OASIS) that code-scanning consumers rely on: required
// properties, the level enumeration, 1-based regions, string fingerprints, no stray top-level keys.
const message = { type: "object", required: ["text"], properties: { text: { type: "string", minLength: 1 } } };
const physicalLocation = {
  type: "object",
  required: ["artifactLocation", "region"],
  properties: {
    artifactLocation: {
      type: "object",
      required: ["uri"],
      properties: { uri: { type: "string", pattern: "^(?![a-z]+:)(?!/)[^\\s]+$" }, uriBaseId: { type: "string" } },
    },
    region: {
      type: "object",
      required: ["startLine"],
      properties: { startLine: { type: "integer", minimum: 1 }, startColumn: { type: "integer", minimum: 1 } },
    },
  },
};
const sarifSubset = {
  type: "object",
  additionalProperties: false,
  required: ["version", "runs"],
  properties: {
    $schema: { type: "string" },
    version: { const: "2.1.0" },
    runs: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["tool", "results"],
        properties: {
          tool: {
            type: "object",
            required: ["driver"],
            properties: {
              driver: {
                type: "object",
                required: ["name", "version", "informationUri", "rules"],
                properties: {
                  name: { type: "string" },
                  informationUri: { type: "string", pattern: "^https://" },
                  rules: {
                    type: "array",
                    items: {
                      type: "object",
                      required: ["id", "shortDescription", "helpUri", "defaultConfiguration"],
                      properties: {
                        id: { type: "string" },
                        shortDescription: message,
                        fullDescription: message,
                        helpUri: { type: "string", pattern: "^https://" },
                        defaultConfiguration: {
                          type: "object",
                          properties: { level: { enum: ["none", "note", "warning", "error"] } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          columnKind: { enum: ["utf16CodeUnits", "unicodeCodePoints"] },
          results: {
            type: "array",
            items: {
              type: "object",
              required: ["ruleId", "message", "locations", "level", "partialFingerprints"],
              properties: {
                ruleId: { type: "string" },
                ruleIndex: { type: "integer", minimum: 0 },
                level: { enum: ["none", "note", "warning", "error"] },
                message,
                locations: { type: "array", minItems: 1, items: { type: "object", required: ["physicalLocation"], properties: { physicalLocation } } },
                relatedLocations: { type: "array", items: { type: "object", required: ["physicalLocation"], properties: { physicalLocation } } },
                partialFingerprints: { type: "object", additionalProperties: { type: "string" } },
              },
            },
          },
        },
      },
    },
  },
};

const rules = [
  { id: "fk-index", description: "Foreign keys without an index.", defaultSeverity: "routine" as const },
  { id: "query-index", description: "Queries no index serves.", defaultSeverity: "important" as const },
  { id: "redundant-index", description: "Duplicate indexes.", defaultSeverity: "routine" as const },
];

describe("SARIF report", () => {
  const log = buildSarif(exampleLikeResult(), { version: "1.2.3", rules }) as any;
  const run = log.runs[0];

  it("has the structure SARIF 2.1.0 requires", () => {
    const AjvClass = Ajv as unknown as typeof Ajv.default;
    const validate = new AjvClass({ allErrors: true }).compile(sarifSubset);
    const valid = validate(JSON.parse(JSON.stringify(log)));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("describes the tool and every rule, including ones that found nothing", () => {
    expect(run.tool.driver).toMatchObject({ name: "index-audit", version: "1.2.3", informationUri: expect.stringMatching(/^https:/) });
    const ids = run.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(ids).toEqual(["fk-index", "parse-error", "query-index", "redundant-index"]);
    const fk = run.tool.driver.rules[0];
    expect(fk.helpUri).toBe(docsUrl("fk-index"));
    expect(fk.defaultConfiguration.level).toBe("warning");
    expect(fk.fullDescription.text).toBe("Foreign keys without an index.");
  });

  it("maps severities to levels and points at the finding's place", () => {
    expect([sarifLevel("important"), sarifLevel("routine"), sarifLevel("noted")]).toEqual(["error", "warning", "note"]);
    const lookup = run.results.find((r: { ruleId: string }) => r.ruleId === "query-index");
    expect(lookup.level).toBe("error");
    expect(run.tool.driver.rules[lookup.ruleIndex].id).toBe("query-index");
    expect(lookup.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "apps/server/src/lib/call-logger.ts", uriBaseId: "%SRCROOT%" },
      region: { startLine: 413, startColumn: 7 },
    });
    expect(lookup.partialFingerprints).toEqual({ "indexAudit/v1": reconnectFinding.id });
    expect(lookup.message.text).toContain(reconnectFinding.fix!.sql);
    expect(lookup.relatedLocations[0].physicalLocation.region.startLine).toBe(502);
    const fkResult = run.results.find((r: { ruleId: string }) => r.ruleId === "fk-index");
    expect(fkResult.level).toBe("warning");
  });

  it("escapes characters a URI cannot hold but keeps paths relative", () => {
    const odd = { ...siteFinding, location: { file: "db/migrations/V1__add index#2.sql", line: 3, column: 1 } };
    const result = buildSarif(exampleLikeResult([odd]), { version: "1" }) as any;
    expect(result.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe("db/migrations/V1__add%20index%232.sql");
  });
});
