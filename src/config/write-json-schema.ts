// Writes schema/index-audit.schema.json: `node --import tsx src/config/write-json-schema.ts`.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { configJsonSchemaText } from "./json-schema.js";

const JSON_SCHEMA_FILE = fileURLToPath(new URL("../../schema/index-audit.schema.json", import.meta.url));

await writeFile(JSON_SCHEMA_FILE, configJsonSchemaText());
process.stdout.write(`wrote ${JSON_SCHEMA_FILE}\n`);
