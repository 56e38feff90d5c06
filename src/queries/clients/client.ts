// What a client recognizer is: a small module that the code walker (src/queries/code/walker.ts) asks,
// at each call or tagged template, whether it sends a query through this client, and what the query
// reads. The walker owns everything the clients share: scopes, variables holding builders, branches,
// loops, function names, suppressions and constants. A new client (an ORM, a query builder) is one
// more module beside supabase-js.ts and sql-in-code.ts, listed in index.ts.
import type { AccessPattern, Location, RelationName, Suppression } from "../../core/types.js";
import type { Node } from "../code/ast.js";
import type { ChainStep } from "../supabase.js";

/** The fields every pattern of one call site shares: where it is and what encloses it. */
export interface PatternBase {
  inLoop: boolean;
  /** The innermost loop around the call, when inLoop. */
  loop?: { kind: string; line: number };
  functionName?: string;
  /** See AccessPattern.cachedBy. */
  cachedBy?: string;
  location: Location;
  suppressions: Suppression[];
}

/** What the walker offers a recognizer at one call site. */
export interface CodeContext {
  /** The string an expression holds when the file (or an imported constants module) names it statically. */
  staticString(node: Node | undefined): string | undefined;
  /** Whether a local name was assigned from a call that any client calls a client factory. */
  boundToClient(name: string): boolean;
  /** The object literal a `const` of the enclosing function (or an outer scope) is bound to, when it is one. */
  localObject?(name: string): Node | undefined;
  /** Whether a name is a parameter of the enclosing function that may hold `undefined` (optional, no default). */
  mayBeUndefined?(name: string): boolean;
  /** The string a local `const x = y ?? "literal"` holds when `y` is not given. */
  defaultString?(name: string): string | undefined;
  /** 1-based line and column of a byte offset, in this file. */
  location(offset: number): Location;
  /** The shared pattern fields for a query reported at `location`, under the current function and loops. */
  base(location: Location): PatternBase;
}

/** One way a builder variable may hold a query: its client, table and the methods applied so far. */
export interface BuilderVariant {
  client: QueryClient;
  table: string;
  steps: ChainStep[];
  /** Offset where the pattern is reported (the `.from(` call). */
  fromOffset: number;
  /** The exact name the client sends (supabase-js: `.from()` as written, in `.schema()`'s schema). */
  relation?: RelationName;
}

/**
 * A query the code sends, as a recognizer read it. Besides the patterns, it names the expressions
 * whose values reach the database, so that the walker can tell what a query in a loop depends on.
 */
export interface QueryCall {
  patterns: AccessPattern[];
  /** Every expression whose value the query sends (filter values, bound parameters, written rows). */
  values: Node[];
  /** The values an UPDATE writes (`.update({...})`, the parameters in `SET`). */
  setValues: Node[];
  /** The values compared as a set: `.in(col, list)`, `= ANY($1)`, `IN ($1)`. */
  memberships: Node[];
}

export interface QueryClient {
  /** Quick test on the file's text: a file this does not match holds no query of this client. */
  mayQuery: RegExp;
  /** A call whose result is a client object (`createClient(...)`): names bound to it are clients. */
  isClientFactory?(node: Node): boolean;
  /**
   * Builder clients: the query a chain starts (`supabase.from("t").select()...`), or undefined.
   * The walker carries the variants through variables and branches and adds later calls as steps.
   */
  startBuilder?(node: Node, ctx: CodeContext): BuilderVariant[] | undefined;
  /** Builder clients: the query one variant stands for when it is sent. */
  builderQuery?(variant: BuilderVariant, ctx: CodeContext): QueryCall;
  /** A call that sends SQL or a query object (`pool.query(text, values)`), or undefined. */
  call?(node: Node, ctx: CodeContext): QueryCall | undefined;
  /** A tagged template that sends SQL (`` sql`...` ``), or undefined. */
  taggedTemplate?(node: Node, ctx: CodeContext): QueryCall | undefined;
}
