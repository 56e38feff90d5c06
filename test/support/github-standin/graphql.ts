// The one GraphQL shape the app sends: many blobs by object id in one query, each under an alias.
//
//   query($owner: String!, $name: String!) {
//     repository(owner: $owner, name: $name) {
//       b0: object(oid: "<40 hex>") { ... on Blob { oid byteSize isBinary isTruncated text } }
//     }
//   }
import type { GitObject } from "./git.js";

export interface BlobQuery {
  owner: string;
  name: string;
  aliases: { alias: string; oid: string; fields: string[] }[];
}

const BLOB_FIELDS = new Set(["oid", "byteSize", "isBinary", "isTruncated", "text", "abbreviatedOid"]);
// Git's own test for binary content: a NUL byte within the first 8,000 bytes.
const BINARY_PROBE_BYTES = 8000;

/** Reads a blob-lookup query; returns a message saying what is unsupported instead. */
export function parseBlobQuery(body: unknown): BlobQuery | string {
  if (!body || typeof body !== "object") return "GraphQL request body must be a JSON object";
  const { query, variables } = body as { query?: unknown; variables?: Record<string, unknown> };
  if (typeof query !== "string") return 'GraphQL request body needs a string "query"';
  const repository = /repository\(\s*owner:\s*(\$\w+|"[^"]*")\s*,\s*name:\s*(\$\w+|"[^"]*")\s*\)/.exec(query);
  if (!repository) return "the stand-in answers only repository(owner:, name:) { alias: object(oid:) { ... on Blob { ... } } } queries";
  const value = (token: string): string | undefined =>
    token.startsWith("$") ? (variables?.[token.slice(1)] as string | undefined) : token.slice(1, -1);
  const owner = value(repository[1]!);
  const name = value(repository[2]!);
  if (typeof owner !== "string" || typeof name !== "string") return "variables for repository owner and name are missing";
  const aliases: BlobQuery["aliases"] = [];
  const aliasPattern = /(\w+)\s*:\s*object\(\s*oid:\s*"([0-9a-f]{40})"\s*\)\s*\{\s*\.\.\.\s*on\s+Blob\s*\{([^}]*)\}\s*\}/g;
  for (const found of query.matchAll(aliasPattern)) {
    const fields = found[3]!.split(/[\s,]+/).filter(Boolean);
    const unknown = fields.filter((f) => !BLOB_FIELDS.has(f));
    if (unknown.length > 0) return `Blob has no field ${unknown.join(", ")} in the stand-in`;
    aliases.push({ alias: found[1]!, oid: found[2]!, fields });
  }
  if (aliases.length === 0) return "no `alias: object(oid: \"...\") { ... on Blob { ... } }` selections found";
  return { owner, name, aliases };
}

/** One alias's answer: the selected Blob fields, or null when the object is not a blob. */
export function blobResult(object: GitObject | null, fields: string[], textLimit: number): Record<string, unknown> | null {
  if (!object || object.type !== "blob") return null;
  const content = object.content;
  const isBinary = content.subarray(0, BINARY_PROBE_BYTES).includes(0);
  const isTruncated = !isBinary && content.length > textLimit;
  const all: Record<string, unknown> = {
    oid: object.sha,
    abbreviatedOid: object.sha.slice(0, 7),
    byteSize: content.length,
    isBinary,
    isTruncated,
    text: isBinary ? null : content.subarray(0, Math.min(content.length, textLimit)).toString("utf8"),
  };
  return Object.fromEntries(fields.map((field) => [field, all[field]]));
}
