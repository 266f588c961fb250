// A small JSONata tokenizer for highlighting (no maintained CodeMirror 6 mode for JSONata exists), and the paths
// an expression can complete from sample data: what `$states.input` held in this workflow's last execution.

export type TokenKind = "string" | "number" | "variable" | "keyword" | "name" | "operator" | "punctuation" | "comment";

export interface Token {
  from: number;
  to: number;
  kind: TokenKind;
}

const KEYWORDS = new Set(["and", "or", "in", "true", "false", "null", "function"]);
const OPERATORS = [":=", "!=", "<=", ">=", "~>", "..", "?:", "??", "+", "-", "*", "/", "%", "=", "<", ">", "&", "?", "!", "^", "@", "#"];
const PUNCTUATION = "()[]{},;:.|";

/** The tokens of a JSONata expression, in order; anything unrecognised is skipped, never an error. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    const rest = text.slice(at);
    let match: RegExpMatchArray | null;
    if (/\s/.test(char)) {
      at += 1;
      continue;
    }
    if (rest.startsWith("/*")) {
      const end = text.indexOf("*/", at + 2);
      at = push(tokens, at, end < 0 ? text.length : end + 2, "comment");
    } else if (char === '"' || char === "'") {
      at = push(tokens, at, closing(text, at, char), "string");
    } else if (char === "`") {
      at = push(tokens, at, closing(text, at, "`"), "name");
    } else if ((match = rest.match(/^\$[A-Za-z0-9_]*/))) {
      at = push(tokens, at, at + match[0].length, "variable");
    } else if ((match = rest.match(/^\d+(\.\d+)?([eE][+-]?\d+)?/))) {
      at = push(tokens, at, at + match[0].length, "number");
    } else if ((match = rest.match(/^[A-Za-z_][A-Za-z0-9_]*/))) {
      at = push(tokens, at, at + match[0].length, KEYWORDS.has(match[0]) ? "keyword" : "name");
    } else {
      const operator = OPERATORS.find((candidate) => rest.startsWith(candidate));
      if (operator) at = push(tokens, at, at + operator.length, "operator");
      else if (PUNCTUATION.includes(char)) at = push(tokens, at, at + 1, "punctuation");
      else at += 1;
    }
  }
  return tokens;
}

function push(tokens: Token[], from: number, to: number, kind: TokenKind): number {
  tokens.push({ from, to, kind });
  return to;
}

function closing(text: string, at: number, quote: string): number {
  for (let index = at + 1; index < text.length; index += 1) {
    if (text[index] === "\\") index += 1;
    else if (text[index] === quote) return index + 1;
  }
  return text.length;
}

export interface PathOption {
  path: string;
  detail: string;
}

const MAX_DEPTH = 6;
const MAX_PATHS = 500;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every path under `base` in a sample value, with its JSON type: `$states.input.order.id` (number). */
export function pathsOf(value: unknown, base = "$states.input"): PathOption[] {
  const paths: PathOption[] = [];
  const walk = (current: unknown, path: string, depth: number) => {
    if (paths.length >= MAX_PATHS) return;
    paths.push({ path, detail: typeName(current) });
    if (depth >= MAX_DEPTH) return;
    const element = Array.isArray(current) ? current[0] : current;
    if (element === null || typeof element !== "object" || Array.isArray(element)) return;
    for (const [key, child] of Object.entries(element)) {
      walk(child, `${path}${Array.isArray(current) ? "[0]" : ""}.${PLAIN_NAME.test(key) ? key : `\`${key}\``}`, depth + 1);
    }
  };
  walk(value, base, 0);
  return paths;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}

export interface SampleStep {
  node_id: string;
  input?: unknown;
  output?: unknown;
}

/** What a node's `$states.input` held last time: its own step's input, else the output of a node that leads to it. */
export function sampleInputOf(nodeId: string, steps: SampleStep[], edges: { from: string; to: string }[]): unknown {
  const own = [...steps].reverse().find((step) => step.node_id === nodeId && step.input !== undefined && step.input !== null);
  if (own) return own.input;
  const previous = new Set(edges.filter((edge) => edge.to === nodeId).map((edge) => edge.from));
  const fed = [...steps].reverse().find((step) => previous.has(step.node_id) && step.output !== undefined && step.output !== null);
  return fed?.output;
}

/** The path being typed at the end of `before` (`$states.in`), or null outside one. */
export function typedPath(before: string): string | null {
  const match = before.match(/\$[A-Za-z0-9_.`[\]]*$/);
  return match ? match[0] : null;
}

// JSONata's built-in functions, offered after a `$` with the sample paths.
export const FUNCTIONS = [
  "string", "length", "substring", "substringBefore", "substringAfter", "uppercase", "lowercase", "trim", "pad",
  "contains", "split", "join", "match", "replace", "number", "abs", "floor", "ceil", "round", "sum", "max", "min",
  "average", "count", "append", "sort", "reverse", "distinct", "keys", "lookup", "merge", "each", "map", "filter",
  "reduce", "exists", "boolean", "not", "type", "now", "millis", "toMillis", "fromMillis", "uuid",
];

export interface CompletionOption {
  label: string;
  detail: string;
  type: "property" | "function";
}

/** What completes the path typed at the end of `before`: sample paths, then functions; null outside a path. */
export function completionsAt(before: string, paths: PathOption[]): { from: number; options: CompletionOption[] } | null {
  const typed = typedPath(before);
  if (typed === null) return null;
  const options: CompletionOption[] = [
    ...paths.filter((option) => option.path.startsWith(typed)).map((option) => ({ label: option.path, detail: option.detail, type: "property" as const })),
    ...FUNCTIONS.map((name) => `$${name}`)
      .filter((name) => name.startsWith(typed))
      .map((label) => ({ label, detail: "function", type: "function" as const })),
  ];
  return { from: before.length - typed.length, options };
}
