// A tokenizer and parser for the Prisma Schema Language, as much of it as the schema model needs:
// blocks (`model`, `enum`, `view`, `type`, `datasource`, `generator`), fields with their types and
// modifiers (`?`, `[]`), field attributes (`@id`, `@db.VarChar(255)`) and block attributes (`@@index(...)`)
// with positional and named arguments, strings, numbers, arrays, constants and function calls.
// Grammar: Prisma's PSL reference (prisma-engines psl/schema-ast, datamodel.pest). Every node keeps its
// 1-based line and column. Nothing here knows what an attribute means.

export type PslValue =
  | { kind: "string"; value: string }
  | { kind: "number"; value: string }
  | { kind: "ident"; name: string }
  | { kind: "call"; name: string; args: PslArg[] }
  | { kind: "array"; items: PslValue[] };

export interface PslArg {
  /** The argument's name (`fields:`), absent for a positional argument. */
  name?: string;
  value: PslValue;
}

export interface PslAttribute {
  /** Without the `@`/`@@`: `id`, `relation`, `db.VarChar`, `index`. */
  name: string;
  args: PslArg[];
  line: number;
  column: number;
}

export interface PslField {
  name: string;
  /** The type's name (`String`, `User`), or `Unsupported` with the database type in `unsupported`. */
  type: string;
  unsupported?: string;
  optional: boolean;
  list: boolean;
  attributes: PslAttribute[];
  line: number;
  column: number;
}

export interface PslBlock {
  kind: "model" | "enum" | "view" | "type" | "datasource" | "generator";
  name: string;
  /** Model/view/type fields; enum values (name only, with their attributes). */
  fields: PslField[];
  /** Block attributes (`@@map`, `@@index`, ...). */
  attributes: PslAttribute[];
  /** `key = value` lines of datasource and generator blocks. */
  settings: Array<{ key: string; value: PslValue; line: number }>;
  line: number;
  column: number;
  /** Line of the closing brace. */
  endLine: number;
}

export interface PslError {
  message: string;
  line: number;
  column: number;
}

type TokenKind = "ident" | "string" | "number" | "punct" | "newline" | "eof";

interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  column: number;
}

const BLOCK_KINDS = new Set(["model", "enum", "view", "type", "datasource", "generator"]);

// Character classes by code, not regular expressions: the tokenizer runs once per character, mostly before the JIT warms up.
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** `[0-9.eE]` */
const isNumberPart = (c: number): boolean => isDigit(c) || c === 46 || c === 69 || c === 101;
/** `[A-Za-z0-9_-]` */
const isNamePart = (c: number): boolean => isLetter(c) || isDigit(c) || c === 95 || c === 45;

function tokenize(text: string): { tokens: Token[]; error: PslError | null } {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\n") {
      tokens.push({ kind: "newline", text: "\n", line, column: i - lineStart + 1 });
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\f" || ch === "\ufeff") {
      i++;
      continue;
    }
    if (ch === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (ch === '"') {
      const start = i;
      let value = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\n") return { tokens, error: { message: "string is not closed before the end of the line", line, column: start - lineStart + 1 } };
        if (text[i] === "\\" && i + 1 < text.length) {
          const next = text[i + 1];
          value += next === "n" ? "\n" : next === "t" ? "\t" : next;
          i += 2;
          continue;
        }
        value += text[i++];
      }
      if (i >= text.length) return { tokens, error: { message: "string is not closed", line, column: start - lineStart + 1 } };
      i++;
      tokens.push({ kind: "string", text: value, line, column: start - lineStart + 1 });
      continue;
    }
    const code = text.charCodeAt(i);
    if (isDigit(code) || (ch === "-" && isDigit(text.charCodeAt(i + 1)))) {
      const start = i;
      i++;
      while (i < text.length && isNumberPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: "number", text: text.slice(start, i), line, column: start - lineStart + 1 });
      continue;
    }
    if (isLetter(code) || code === 95 /* _ */) {
      const start = i;
      while (i < text.length && isNamePart(text.charCodeAt(i))) i++;
      tokens.push({ kind: "ident", text: text.slice(start, i), line, column: start - lineStart + 1 });
      continue;
    }
    if (ch === "@" && text[i + 1] === "@") {
      tokens.push({ kind: "punct", text: "@@", line, column: i - lineStart + 1 });
      i += 2;
      continue;
    }
    if ("{}()[],:=@?.!".includes(ch)) {
      tokens.push({ kind: "punct", text: ch, line, column: i - lineStart + 1 });
      i++;
      continue;
    }
    return { tokens, error: { message: `unexpected character ${JSON.stringify(ch)}`, line, column: i - lineStart + 1 } };
  }
  tokens.push({ kind: "eof", text: "", line, column: i - lineStart + 1 });
  return { tokens, error: null };
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    const token = this.tokens[this.i];
    if (token.kind !== "eof") this.i++;
    return token;
  }

  private fail(message: string, token = this.peek()): never {
    throw Object.assign(new Error(message), { line: token.line, column: token.column });
  }

  private is(text: string): boolean {
    const token = this.peek();
    return token.kind === "punct" && token.text === text;
  }

  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected "${text}" but found ${describe(this.peek())}`);
    return this.next();
  }

  private ident(what: string): Token {
    const token = this.peek();
    if (token.kind !== "ident") this.fail(`expected ${what} but found ${describe(token)}`);
    return this.next();
  }

  private skipNewlines(): void {
    while (this.peek().kind === "newline") this.next();
  }

  /** A dotted name: `db.VarChar`, `env`. */
  private dottedName(first: Token): string {
    let name = first.text;
    while (this.is(".")) {
      this.next();
      name += "." + this.ident("a name after \".\"").text;
    }
    return name;
  }

  parse(errors: PslError[]): PslBlock[] {
    const blocks: PslBlock[] = [];
    for (;;) {
      this.skipNewlines();
      const token = this.peek();
      if (token.kind === "eof") return blocks;
      const start = this.i;
      try {
        if (token.kind !== "ident" || !BLOCK_KINDS.has(token.text)) this.fail(`expected a block (model, enum, datasource, ...) but found ${describe(token)}`);
        blocks.push(this.block());
      } catch (error) {
        const e = error as Error & { line?: number; column?: number };
        errors.push({ message: e.message, line: e.line ?? token.line, column: e.column ?? token.column });
        this.recover(start);
      }
    }
  }

  /** After an error, skips to just past the closing brace of the block that failed. */
  private recover(start: number): void {
    this.i = start;
    let depth = 0;
    let opened = false;
    for (;;) {
      const token = this.next();
      if (token.kind === "eof") return;
      if (token.kind === "punct" && token.text === "{") {
        depth++;
        opened = true;
      } else if (token.kind === "punct" && token.text === "}") {
        depth--;
        if (depth <= 0) return;
      } else if (!opened && token.kind === "newline") {
        return;
      }
    }
  }

  private block(): PslBlock {
    const keyword = this.next();
    const name = this.ident(`a name for the ${keyword.text} block`);
    const block: PslBlock = {
      kind: keyword.text as PslBlock["kind"],
      name: name.text,
      fields: [],
      attributes: [],
      settings: [],
      line: keyword.line,
      column: keyword.column,
      endLine: keyword.line,
    };
    this.expect("{");
    for (;;) {
      this.skipNewlines();
      const token = this.peek();
      if (token.kind === "eof") this.fail(`the ${keyword.text} block ${name.text} is not closed`, keyword);
      if (this.is("}")) {
        block.endLine = this.next().line;
        return block;
      }
      if (this.is("@@")) {
        this.next();
        block.attributes.push(this.attribute(token));
      } else if (block.kind === "datasource" || block.kind === "generator") {
        const key = this.ident("a setting name");
        this.expect("=");
        block.settings.push({ key: key.text, value: this.value(), line: key.line });
      } else if (block.kind === "enum") {
        const value = this.ident("an enum value");
        const field: PslField = { name: value.text, type: "", optional: false, list: false, attributes: [], line: value.line, column: value.column };
        this.fieldAttributes(field);
        block.fields.push(field);
      } else {
        block.fields.push(this.field());
      }
      this.endOfLine();
    }
  }

  private endOfLine(): void {
    const token = this.peek();
    if (token.kind === "newline" || token.kind === "eof" || this.is("}")) return;
    this.fail(`unexpected ${describe(token)}`);
  }

  private field(): PslField {
    const name = this.ident("a field name");
    const typeToken = this.ident(`a type for field ${name.text}`);
    const field: PslField = { name: name.text, type: this.dottedName(typeToken), optional: false, list: false, attributes: [], line: name.line, column: name.column };
    if (field.type === "Unsupported" && this.is("(")) {
      this.next();
      const inner = this.next();
      if (inner.kind !== "string") this.fail(`Unsupported(...) takes the database type as a string`, inner);
      field.unsupported = inner.text;
      this.expect(")");
    }
    if (this.is("[")) {
      this.next();
      this.expect("]");
      field.list = true;
    }
    if (this.is("?")) {
      this.next();
      field.optional = true;
    }
    if (this.is("!")) this.next(); // legacy required marker
    this.fieldAttributes(field);
    return field;
  }

  private fieldAttributes(field: PslField): void {
    while (this.is("@")) {
      const at = this.next();
      field.attributes.push(this.attribute(at));
    }
  }

  private attribute(at: Token): PslAttribute {
    const first = this.ident("an attribute name");
    const attribute: PslAttribute = { name: this.dottedName(first), args: [], line: at.line, column: at.column };
    if (this.is("(")) attribute.args = this.args();
    return attribute;
  }

  private args(): PslArg[] {
    this.expect("(");
    const args: PslArg[] = [];
    this.skipNewlines();
    while (!this.is(")")) {
      const token = this.peek();
      const following = this.tokens[this.i + 1];
      if (token.kind === "ident" && following?.kind === "punct" && following.text === ":") {
        this.next();
        this.next();
        args.push({ name: token.text, value: this.value() });
      } else {
        args.push({ value: this.value() });
      }
      this.skipNewlines();
      if (this.is(",")) {
        this.next();
        this.skipNewlines();
      } else if (!this.is(")")) {
        this.fail(`expected "," or ")" but found ${describe(this.peek())}`);
      }
    }
    this.next();
    return args;
  }

  private value(): PslValue {
    this.skipNewlines();
    const token = this.next();
    if (token.kind === "string") return { kind: "string", value: token.text };
    if (token.kind === "number") return { kind: "number", value: token.text };
    if (token.kind === "punct" && token.text === "[") {
      const items: PslValue[] = [];
      this.skipNewlines();
      while (!this.is("]")) {
        items.push(this.value());
        this.skipNewlines();
        if (this.is(",")) {
          this.next();
          this.skipNewlines();
        } else if (!this.is("]")) {
          this.fail(`expected "," or "]" but found ${describe(this.peek())}`);
        }
      }
      this.next();
      return { kind: "array", items };
    }
    if (token.kind === "ident") {
      const name = this.dottedName(token);
      if (this.is("(")) return { kind: "call", name, args: this.args() };
      return { kind: "ident", name };
    }
    return this.fail(`expected a value but found ${describe(token)}`, token);
  }
}

function describe(token: Token): string {
  if (token.kind === "eof") return "the end of the file";
  if (token.kind === "newline") return "the end of the line";
  if (token.kind === "string") return `"${token.text}"`;
  return `"${token.text}"`;
}

/** Parses one PSL file. Errors are collected with their line; the blocks that parse are kept. */
export function parsePsl(text: string): { blocks: PslBlock[]; errors: PslError[] } {
  const { tokens, error } = tokenize(text);
  const errors: PslError[] = [];
  if (error) {
    errors.push(error);
    // Keep what precedes the bad character, closed off so the parser sees whole blocks only.
    tokens.push({ kind: "eof", text: "", line: error.line, column: error.column });
  }
  const blocks = new Parser(tokens).parse(errors);
  return { blocks, errors };
}

// ---------------------------------------------------------------- reading argument values

/** The named argument, or the positional one at `position` when the name is absent. */
export function argument(attribute: PslAttribute, name: string, position?: number): PslValue | undefined {
  const named = attribute.args.find((a) => a.name === name);
  if (named) return named.value;
  if (position === undefined) return undefined;
  return attribute.args.filter((a) => a.name === undefined)[position]?.value;
}

export function stringValue(value: PslValue | undefined): string | undefined {
  return value?.kind === "string" ? value.value : undefined;
}

export function identValue(value: PslValue | undefined): string | undefined {
  return value?.kind === "ident" ? value.name : undefined;
}

/** The field references of a list argument: `[a, b(sort: Desc)]`, each with its own arguments. */
export function fieldRefs(value: PslValue | undefined): Array<{ name: string; args: PslArg[] }> {
  if (!value) return [];
  const items = value.kind === "array" ? value.items : [value];
  const refs: Array<{ name: string; args: PslArg[] }> = [];
  for (const item of items) {
    if (item.kind === "ident") refs.push({ name: item.name, args: [] });
    else if (item.kind === "call") refs.push({ name: item.name, args: item.args });
  }
  return refs;
}
