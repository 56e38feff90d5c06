import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS: under NodeNext its plugin is the `default` of what the default import yields.
type FormatsPlugin = typeof addFormatsModule.default;
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonObject;
  "x-multi-segment"?: boolean;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  segments: string[];
  parameters: Parameter[];
  bodySchema: JsonObject | null;
  bodyRequired: boolean;
  responses: JsonObject;
}

export interface RouteMatch {
  operation: Operation;
  params: Record<string, string>;
}

export interface Violation {
  method: string;
  path: string;
  message: string;
}

interface Spec {
  paths: Record<string, Record<string, JsonObject>>;
  components: {
    schemas: Record<string, JsonObject>;
    parameters: Record<string, Parameter>;
    responses: Record<string, JsonObject>;
  };
}

const HTTP_METHODS = new Set(["get", "put", "post", "patch", "delete", "head", "options"]);

/** GitHub's published REST description, parsed once per process on first use. */
export class OpenApiIndex {
  private static shared: OpenApiIndex | null = null;
  private readonly operationsBySegmentCount = new Map<number, Operation[]>();
  private readonly multiSegmentOperations: Operation[] = [];
  private readonly validators = new Map<string, ValidateFunction | Error>();
  private readonly ajv: Ajv;
  // Responses are checked with the first error only: their schemas are large and allErrors makes compiling slow.
  private readonly responseAjv: Ajv;

  static load(): OpenApiIndex {
    if (!OpenApiIndex.shared) {
      const require = createRequire(import.meta.url);
      const specPath = require.resolve("@octokit/openapi/generated/api.github.com.json");
      OpenApiIndex.shared = new OpenApiIndex(JSON.parse(readFileSync(specPath, "utf8")) as Spec);
    }
    return OpenApiIndex.shared;
  }

  private constructor(private readonly spec: Spec) {
    // OpenAPI 3.0 keywords (nullable, example, x-github...) are not JSON Schema: allow them instead of failing compilation.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, discriminator: false });
    addFormats(this.ajv);
    this.responseAjv = new Ajv({ strict: false, allErrors: false, validateFormats: false, discriminator: false });
    for (const [template, item] of Object.entries(spec.paths)) {
      const shared = (item.parameters as unknown as Parameter[] | undefined) ?? [];
      for (const [method, raw] of Object.entries(item)) {
        if (!HTTP_METHODS.has(method)) continue;
        const parameters = [...shared, ...(((raw.parameters as unknown as Parameter[]) ?? []))].map((p) => this.resolveParameter(p));
        const content = (raw.requestBody as JsonObject | undefined)?.content as JsonObject | undefined;
        const jsonBody = content?.["application/json"] as JsonObject | undefined;
        const operation: Operation = {
          method: method.toUpperCase(),
          template,
          operationId: String(raw.operationId),
          segments: template.split("/").slice(1),
          parameters,
          bodySchema: (jsonBody?.schema as JsonObject | undefined) ?? null,
          bodyRequired: Boolean((raw.requestBody as JsonObject | undefined)?.required),
          responses: (raw.responses as JsonObject | undefined) ?? {},
        };
        if (parameters.some((p) => p["x-multi-segment"])) this.multiSegmentOperations.push(operation);
        const list = this.operationsBySegmentCount.get(operation.segments.length) ?? [];
        list.push(operation);
        this.operationsBySegmentCount.set(operation.segments.length, list);
      }
    }
  }

  private resolveParameter(parameter: Parameter | { $ref: string }): Parameter {
    if ("$ref" in parameter) {
      const name = parameter.$ref.replace("#/components/parameters/", "");
      return this.spec.components.parameters[name]!;
    }
    return parameter;
  }

  /** Finds the operation for a request path; literal segments win over parameters, as GitHub's router does. */
  match(method: string, pathname: string): RouteMatch | null {
    const segments = pathname.split("/").slice(1);
    const upper = method.toUpperCase();
    let best: { match: RouteMatch; score: string } | null = null;
    const consider = (operation: Operation, params: Record<string, string>, score: string) => {
      if (!best || score > best.score) best = { match: { operation, params }, score };
    };
    for (const operation of this.operationsBySegmentCount.get(segments.length) ?? []) {
      if (operation.method !== upper) continue;
      const result = matchSegments(operation.segments, segments, false);
      if (result) consider(operation, result.params, "1" + result.score);
    }
    for (const operation of this.multiSegmentOperations) {
      if (operation.method !== upper || segments.length < operation.segments.length) continue;
      const result = matchSegments(operation.segments, segments, true);
      // A multi-segment match is a fallback only when no exact-length route fits.
      if (result) consider(operation, result.params, "0" + result.score);
    }
    return best ? (best as { match: RouteMatch }).match : null;
  }

  /** Checks path, query and body of one request against its operation; returns human-readable problems. */
  check(match: RouteMatch, query: URLSearchParams, body: unknown): string[] {
    const problems: string[] = [];
    const { operation, params } = match;
    for (const parameter of operation.parameters) {
      if (parameter.in === "path" && parameter.required && !params[parameter.name]) {
        problems.push(`missing required path parameter "${parameter.name}"`);
      }
      if (parameter.in === "query" && parameter.required && !query.has(parameter.name)) {
        problems.push(`missing required query parameter "${parameter.name}"`);
      }
    }
    const known = new Set(operation.parameters.filter((p) => p.in === "query").map((p) => p.name));
    for (const name of new Set(query.keys())) {
      if (!known.has(name)) problems.push(`unknown query parameter "${name}"`);
    }
    for (const parameter of operation.parameters) {
      if (parameter.in !== "query" || !query.has(parameter.name) || !parameter.schema) continue;
      const problem = checkQueryValue(parameter, query.get(parameter.name)!);
      if (problem) problems.push(problem);
    }
    if (operation.bodySchema) {
      if (body === undefined) {
        if (operation.bodyRequired) problems.push("missing required JSON request body");
      } else {
        const validate = this.validatorFor(operation);
        if (validate instanceof Error) {
          problems.push(`request body schema could not be compiled: ${validate.message}`);
        } else if (!validate(body)) {
          problems.push(`request body invalid: ${this.ajv.errorsText(validate.errors, { dataVar: "body" })}`);
        }
      }
    } else if (body !== undefined && operation.method !== "GET" && operation.method !== "DELETE") {
      problems.push("operation takes no JSON request body");
    }
    return problems;
  }

  /** Checks a JSON response against the schema the description documents for its status, when it documents one. */
  checkResponse(operation: Operation, status: number, body: unknown): string[] {
    let response = operation.responses[String(status)] as JsonObject | undefined;
    const ref = response?.$ref;
    if (typeof ref === "string") response = this.spec.components.responses[ref.replace("#/components/responses/", "")];
    const content = response?.content as JsonObject | undefined;
    const schema = (content?.["application/json"] as JsonObject | undefined)?.schema as JsonObject | undefined;
    if (!schema) return [];
    const validate = this.compileCached(`response ${status} ${operation.method} ${operation.template}`, schema, this.responseAjv);
    if (validate instanceof Error) return [`response schema could not be compiled: ${validate.message}`];
    if (validate(body)) return [];
    return [`response ${status} does not match the documented schema: ${this.responseAjv.errorsText(validate.errors, { dataVar: "response" })}`];
  }

  private validatorFor(operation: Operation): ValidateFunction | Error {
    return this.compileCached(`${operation.method} ${operation.template}`, operation.bodySchema!);
  }

  private compileCached(key: string, schema: JsonObject, ajv: Ajv = this.ajv): ValidateFunction | Error {
    let validate = this.validators.get(key);
    if (!validate) {
      try {
        validate = ajv.compile(this.bundle(schema));
      } catch (error) {
        validate = error as Error;
      }
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** The body schema plus only the component schemas it reaches, so compiling stays cheap. */
  private bundle(schema: JsonObject): JsonObject {
    const needed = new Map<string, JsonObject>();
    const visit = (node: Json) => {
      if (Array.isArray(node)) {
        node.forEach(visit);
      } else if (node && typeof node === "object") {
        const ref = node.$ref;
        if (typeof ref === "string" && ref.startsWith("#/components/schemas/")) {
          const name = ref.slice("#/components/schemas/".length);
          if (!needed.has(name)) {
            const target = this.spec.components.schemas[name]!;
            needed.set(name, target);
            visit(target);
          }
        }
        Object.values(node).forEach(visit);
      }
    };
    visit(schema);
    const components: Record<string, Json> = {};
    for (const [name, target] of needed) components[name] = withNullTypes(target);
    return { ...(withNullTypes(schema) as JsonObject), components: { schemas: components } };
  }
}

/** Rewrites OpenAPI 3.0 `nullable: true` as JSON Schema (null in `type` and `enum`, or an anyOf with null). */
function withNullTypes(node: Json): Json {
  if (Array.isArray(node)) return node.map(withNullTypes);
  if (!node || typeof node !== "object") return node;
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    // Property names and examples are data, not schemas.
    copy[key] = key === "example" || key === "examples" || key === "enum" || key === "default" ? value : withNullTypes(value);
  }
  if (copy.nullable !== true) return copy;
  delete copy.nullable;
  if (typeof copy.type === "string") {
    copy.type = [copy.type, "null"];
    if (Array.isArray(copy.enum) && !copy.enum.includes(null)) copy.enum = [...copy.enum, null];
    return copy;
  }
  return { anyOf: [copy, { type: "null" }] };
}

function matchSegments(
  template: string[],
  actual: string[],
  multiSegment: boolean,
): { params: Record<string, string>; score: string } | null {
  const params: Record<string, string> = {};
  let score = "";
  for (let i = 0; i < template.length; i++) {
    const part = template[i]!;
    const isLast = i === template.length - 1;
    const value = multiSegment && isLast ? actual.slice(i).join("/") : actual[i];
    if (value === undefined) return null;
    const single = /^\{([^}]+)\}$/.exec(part);
    if (single) {
      if (value === "") return null;
      params[single[1]!] = safeDecode(value);
      score += "0";
      continue;
    }
    if (part.includes("{")) {
      // A segment mixing text and a parameter, e.g. "{basehead}" never does, but "{owner}.keys" style might.
      const pattern = new RegExp("^" + part.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{([^}]+)\\?\}/g, "(?<$1>[^/]+)") + "$");
      const found = pattern.exec(value);
      if (!found) return null;
      for (const [name, text] of Object.entries(found.groups ?? {})) params[name] = safeDecode(text);
      score += "0";
      continue;
    }
    if (part !== value) return null;
    score += "1";
  }
  return { params, score };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function checkQueryValue(parameter: Parameter, value: string): string | null {
  const schema = parameter.schema!;
  if (schema.type === "integer" && !/^-?\d+$/.test(value)) {
    return `query parameter "${parameter.name}" must be an integer, got "${value}"`;
  }
  if (schema.type === "boolean" && value !== "true" && value !== "false") {
    return `query parameter "${parameter.name}" must be a boolean, got "${value}"`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    return `query parameter "${parameter.name}" must be one of ${schema.enum.join(", ")}, got "${value}"`;
  }
  if (schema.type === "integer" && typeof schema.maximum === "number" && Number(value) > schema.maximum) {
    return `query parameter "${parameter.name}" must be at most ${schema.maximum}, got ${value}`;
  }
  return null;
}
