import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { configJsonSchema, configJsonSchemaText } from "../../src/config/json-schema.js";
import { validateConfig } from "../../src/config/validate.js";

const committed = readFileSync(new URL("../../schema/index-audit.schema.json", import.meta.url), "utf8");

describe("published JSON Schema", () => {
  it("is exactly what src/config/write-json-schema.ts generates", () => {
    // If this fails: node --import tsx src/config/write-json-schema.ts
    expect(committed).toBe(configJsonSchemaText());
  });

  it("describes the keys for editors and rejects unknown ones", () => {
    const schema = JSON.parse(committed);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["migrations", "code", "rules", "ignore", "tables", "fail-on"]));
    expect(schema.properties["fail-on"].description).toMatch(/severity/);
  });

  it("accepts and rejects the same documents as the zod validator", () => {
    const Ajv = Ajv2020 as unknown as typeof Ajv2020.default;
    const validate = new Ajv({ strict: false }).compile(configJsonSchema());
    const documents: unknown[] = [
      {},
      { "fail-on": "never" },
      { "fail-on": "sometimes" },
      { fail_on: "important" },
      { rules: { "fk-index": "off", "redundant-index": { severity: "noted" } } },
      { rules: { "fk-index": { severty: "noted" } } },
      { rules: { "fk-index": "high" } },
      { tables: { call_logs: { rows: 10_000_000, "append-only": true } } },
      { tables: { call_logs: { rows: -1 } } },
      { tables: { call_logs: { rows: 1.5 } } },
      { ignore: [{ rule: "fk-index", columns: ["site_id"] }] },
      { ignore: [{ table: "x" }] },
      { ignore: [{ rule: "" }] },
      { migrations: { paths: ["db/migrations"], framework: "flyway", exclude: ["clickhouse/**"] } },
      { migrations: { framework: "liquibase" } },
      { code: { paths: ["apps"], include: ["x"] } },
      { "partition-threshold": 0 },
      { "unbounded-threshold": 5000, "conclusion-below-fail-on": "neutral" },
      [],
    ];
    for (const document of documents) {
      const zodSays = validateConfig(document, "config").ok;
      expect({ document, valid: validate(document) }).toEqual({ document, valid: zodSays });
    }
  });
});
