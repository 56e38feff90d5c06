// The quick test run on a code file's text before it is parsed: can this file hold a query that one of
// the client recognizers (clients/*.ts) would read? A file of a web application that this rules out is
// neither parsed nor remembered. The test looks at each place a client's method name appears (each
// recognizer's `mayQuery`) and at the text around it: what the method is called on and what it is
// passed, by the same rules the recognizer applies to the parsed call. Where the text is not plain
// enough to tell (a parenthesised receiver, a comment in the way, an argument held in a variable) the
// place counts as a possible query, so the test only ever rules out calls its recognizer would refuse.
import { CODE_CLIENTS } from "./clients/index.js";

/** Every client's method names at once; each hit is then judged by `plausible()`. */
const TOKENS = new RegExp(CODE_CLIENTS.map((client) => client.mayQuery.source).join("|"), "g");

/** Receivers of `.from()` that supabase-js.ts takes for a client (its CLIENT_NAME). */
const SUPABASE_RECEIVER = /supabase|client|^db$|^admin$|admin$|^sb$/i;
/** Receivers of a model accessor that prisma.ts takes for a Prisma client (its RECEIVER). */
const PRISMA_RECEIVER = /prisma|^tx$|^trx$|^txn$|^db$|^client$|^transaction$/i;
/** Receivers of `.delete(table)` that drizzle.ts takes for a Drizzle database (its RECEIVER). */
const DRIZZLE_RECEIVER = /^(db|tx|trx|txn|drizzle|database|client)$|db$|Db$|database$|Database$/;
const PRISMA_OPERATIONS = new Set([
  "findMany", "findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow", "count", "aggregate", "groupBy",
  "update", "updateMany", "delete", "deleteMany", "upsert", "create", "createMany",
]);
/** Methods sql-in-code.ts reads as sending SQL text (its SQL_METHODS). */
const SQL_METHODS = new Set(["query", "raw", "unsafe", "execute", "any", "one", "oneOrNone", "many", "manyOrNone", "none"]);
/** What sql-in-code.ts takes for a query (its LOOKS_LIKE_QUERY), on a literal's source text. */
const SQL_START = /^(?:\s|\\[nrt])*\(?(?:\s|\\[nrt])*(select|with|update|delete|insert)\b/i;
/** Words that can stand before `(` without making it a call: `await (x)`, `return (x)`. */
const KEYWORDS = new Set(["await", "return", "typeof", "void", "yield", "in", "of", "case", "delete", "new", "instanceof", "else", "do"]);
/** A function passed as the argument (tRPC's `.query(async ({ ctx }) => ...)`, `z.any()` has none). */
const FUNCTION_ARGUMENT = /^(?:async\b|function\b|[\w$]+\s*=>|\([^()]*\)\s*(?::[^=()]*)?=>)/;
/**
 * Names a file binds to a client factory's result (`const sb = createClient(...)`): clients to the walker too.
 * Read as `name [: type] = [(] [await] [new] callee (` or `<`. The name comes first so that a file is
 * scanned once: the type part runs to the first `=` or `;`, whose place is remembered from one name to the next.
 * A name is tried from its first letter only: where that fails, a start later in the same word fails too.
 */
const BINDING_NAME = /(?<![A-Za-z_$])[A-Za-z_$][\w$]*\s*([:=])/g;
const BINDING_VALUE = /\s*\(?\s*(?:await\s+)?(?:new\s+)?([\w$.]+)\s*[(<]/y;
const TYPE_END = /[=;]/g;

const isIdent = (c: string) => /[\w$]/.test(c);

/**
 * Whether the file's text may hold a query any client recognizer reads. False only when every place
 * a client's method name appears is one its recognizer refuses: `Array.from(x)`, `hash.update(x)`,
 * `z.any()`, `router.query(async () => ...)`, `params.delete(key)`.
 */
export function mayQuery(text: string): boolean {
  let bound: Set<string> | undefined;
  const boundNames = () => (bound ??= factoryBindings(text));
  // exec on the one global expression, not matchAll, which copies the expression for every file.
  TOKENS.lastIndex = 0;
  for (let match = TOKENS.exec(text); match; match = TOKENS.exec(text)) {
    if (plausible(text, match.index, match[0], boundNames)) return true;
  }
  return false;
}

function plausible(text: string, at: number, token: string, boundNames: () => Set<string>): boolean {
  // Tagged templates: `` sql`...` ``, `` prisma.$queryRaw`...` ``; the recognizer reads only SQL that starts as a query.
  const raw = /^\$(query|execute)Raw/.exec(token);
  if (raw || /^sql\b/.test(token)) {
    const after = at + (raw ? raw[0].length : 3);
    if (raw && /^(Unsafe)?\s*\(/.test(text.slice(after, after + 16))) return argumentMaySendSql(text, text.indexOf("(", after) + 1);
    const tick = /^(?:Unsafe)?\s*(?:<[^`;]*?>)?\s*`/.exec(text.slice(after, after + 200));
    if (!tick) return true;
    return SQL_START.test(text.slice(after + tick[0].length, after + tick[0].length + 200));
  }
  const method = /^\.([\w$]+)/.exec(token)?.[1];
  // `.query.users.findMany(` (Drizzle's relational queries) and Kysely's starts are specific enough.
  if (!method || method === "query" && token.length > 7 && token[6] === ".") return true;
  if (["selectFrom", "updateTable", "deleteFrom", "insertInto", "replaceInto"].includes(method)) return true;
  // The tokens end with the call's `(` (or a template's backtick).
  if (token.endsWith("`")) return SQL_START.test(text.slice(at + token.length, at + token.length + 200));
  const argsAt = at + token.length;
  const receiver = receiverBefore(text, at);
  const boundReceiver = receiver.kind === "name" && (SUPABASE_RECEIVER.test(receiver.name) || boundNames().has(receiver.name));

  if (method === "from") return receiver.kind !== "name" || boundReceiver;
  // Drizzle's query builder: `.select(...).from(t)`; the `.from(` comes later in the chain.
  if (method === "select" || method === "selectDistinct" || method === "selectDistinctOn") return /\.from\s*\(/.test(text.slice(at + token.length));
  if (method === "update" || method === "insert" || method === "delete") {
    if (drizzleStart(text, argsAt, method, receiver)) return true;
    return prismaOperation(text, at, boundNames);
  }
  if (PRISMA_OPERATIONS.has(method)) return prismaOperation(text, at, boundNames);
  if (SQL_METHODS.has(method)) return argumentMaySendSql(text, argsAt);
  return true;
}

/** Drizzle's `.update(t).set(`, `.insert(t).values(`, `.delete(t).where(` / `db.delete(t)`: one table argument. */
function drizzleStart(text: string, argsAt: number, method: string, receiver: Receiver): boolean {
  const args = /^[^()]*\)/.exec(text.slice(argsAt, argsAt + 300));
  // A table argument is a name or `schema.table`: no call in it. Anything else is not plainly refused.
  if (!args || args[0].trim() === ")") return false;
  const next = /^\s*[!?]?\s*\.\s*([\w$]+)/.exec(skipTrivia(text, argsAt + args[0].length));
  if (!next) return method === "delete" && (receiver.kind !== "name" || DRIZZLE_RECEIVER.test(receiver.name));
  if (method === "update") return next[1] === "set";
  if (method === "insert") return next[1] === "values";
  return next[1] === "where" || next[1] === "returning" || receiver.kind !== "name" || DRIZZLE_RECEIVER.test(receiver.name);
}

/** Prisma's `<client>.<model>.<operation>(`: the operation is called on a model accessor of a client. */
function prismaOperation(text: string, at: number, boundNames: () => Set<string>): boolean {
  const model = receiverBefore(text, at);
  if (model.kind === "other") return true;
  // A call's result (`createHash("sha256").update(`) is never a model accessor.
  if (model.kind === "call") return !model.called;
  if (!model.member || model.name.startsWith("$")) return false;
  const client = receiverBefore(text, model.start);
  return client.kind !== "name" || PRISMA_RECEIVER.test(client.name) || boundNames().has(client.name);
}

/** Whether a call's first argument (text from `at`, just after `(`) may be SQL sql-in-code.ts reads. */
function argumentMaySendSql(text: string, at: number): boolean {
  const rest = skipTrivia(text, at).slice(0, 300);
  if (rest.startsWith(")")) return false;
  if (/^["'`]/.test(rest)) return SQL_START.test(rest.slice(1));
  return !FUNCTION_ARGUMENT.test(rest);
}

type Receiver =
  | { kind: "name"; name: string; start: number; /** Written as `x.name`. */ member: boolean }
  | { kind: "call"; /** `f(...)` rather than a parenthesised expression `(x as T)`. */ called: boolean }
  | { kind: "other" };

/** What stands before the `.` at `dot` (skipping spaces, `?.` and `!`): a name, a closing parenthesis, or something else. */
function receiverBefore(text: string, dot: number): Receiver {
  let i = dot - 1;
  if (text[i] === "?") i--;
  let crossedLine = false;
  while (i >= 0 && /\s/.test(text[i])) crossedLine ||= text[i--] === "\n";
  while (i >= 0 && text[i] === "!") i--;
  // A comment between the receiver and the call cannot be read backwards.
  if (crossedLine && /\/\/|\*\//.test(text.slice(text.lastIndexOf("\n", i) + 1, i + 1))) return { kind: "other" };
  if (i < 0) return { kind: "other" };
  if (text[i] === ")") {
    const open = matchingOpen(text, i);
    if (open < 0) return { kind: "other" };
    let j = open - 1;
    while (j >= 0 && /[ \t]/.test(text[j])) j--;
    if (text[j] === ">" || text[j] === ")" || text[j] === "]") return { kind: "call", called: text[j] !== ">" || text[j - 1] !== "=" };
    if (!isIdent(text[j] ?? "")) return { kind: "call", called: false };
    let k = j;
    while (k >= 0 && isIdent(text[k])) k--;
    return { kind: "call", called: !KEYWORDS.has(text.slice(k + 1, j + 1)) };
  }
  if (!isIdent(text[i])) return { kind: "other" };
  let start = i;
  while (start > 0 && isIdent(text[start - 1])) start--;
  let before = start - 1;
  while (before >= 0 && /\s/.test(text[before])) before--;
  const member = text[before] === "." && text[before - 1] !== ".";
  return { kind: "name", name: text.slice(start, i + 1), start: member ? before : start, member };
}

/** The `(` that the `)` at `close` closes, counting parentheses only (-1 when there is none nearby). */
function matchingOpen(text: string, close: number): number {
  let depth = 0;
  for (let i = close; i >= 0 && close - i < 2000; i--) {
    if (text[i] === ")") depth++;
    else if (text[i] === "(" && --depth === 0) return i;
  }
  return -1;
}

/** The text from `at` on, past spaces and comments. */
function skipTrivia(text: string, at: number): string {
  let i = at;
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text.startsWith("//", i)) i = text.indexOf("\n", i) < 0 ? text.length : text.indexOf("\n", i);
    else if (text.startsWith("/*", i)) i = text.indexOf("*/", i) < 0 ? text.length : text.indexOf("*/", i) + 2;
    else return text.slice(i, i + 400);
  }
}

/** Names bound to the result of a call any client takes for a client factory (each recognizer's isClientFactory). */
function factoryBindings(text: string): Set<string> {
  const names = new Set<string>();
  // Every factory's name holds one of these words; most files hold none.
  if (!/client|supabase|\$extends/i.test(text)) return names;
  // The first `=` or `;` at or after the last type annotation's colon (text.length when there is none).
  let typeEnd = -1;
  BINDING_NAME.lastIndex = 0;
  for (let m = BINDING_NAME.exec(text); m; m = BINDING_NAME.exec(text)) {
    let equals = m.index + m[0].length - 1;
    if (m[1] === ":") {
      if (typeEnd <= equals) {
        TYPE_END.lastIndex = equals + 1;
        typeEnd = TYPE_END.exec(text)?.index ?? text.length;
      }
      if (text[typeEnd] !== "=") continue;
      equals = typeEnd;
    }
    BINDING_VALUE.lastIndex = equals + 1;
    const value = BINDING_VALUE.exec(text);
    if (!value) continue;
    BINDING_NAME.lastIndex = BINDING_VALUE.lastIndex;
    const callee = value[1].slice(value[1].lastIndexOf(".") + 1);
    if (/client|supabase/i.test(callee) || callee === "PrismaClient" || callee === "$extends") names.add(m[0].slice(0, m[0].search(/[^\w$]/)));
  }
  return names;
}
