// The config's JSON Schema, generated from the zod schema so editors and the validator never disagree.
import { z } from "zod";
import { configSchema } from "./schema.js";

export const CONFIG_SCHEMA_ID = "https://github.com/index-audit/index-audit/blob/main/schema/index-audit.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: CONFIG_SCHEMA_ID,
    title: "index-audit configuration (.github/index-audit.yml)",
    ...rest,
  };
}

/** The file's exact text, as committed in schema/index-audit.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
