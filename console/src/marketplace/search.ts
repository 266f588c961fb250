// Pure logic of the marketplace pages: the search route's query from what the user chose, its highlights as safe
// segments, and a template's parameters as a form schema.

import type { JsonSchema } from "../forms/schema";

export type SearchMode = "hybrid" | "keyword" | "semantic";
export const MODES: SearchMode[] = ["hybrid", "keyword", "semantic"];

/** The facets the search route counts, in the order the page shows them. */
export const FACETS = ["kind", "category", "publisher", "verified", "license"] as const;
export type Facet = (typeof FACETS)[number];
export type Filters = Partial<Record<Facet, string>>;

export interface SearchQuery {
  q?: string;
  mode: SearchMode;
  kind?: "workflow_template" | "agent" | "connector" | "mcp_server";
  category?: string;
  publisher?: string;
  verified?: boolean;
  license?: string;
  cursor?: string;
}

const KINDS = new Set(["workflow_template", "agent", "connector", "mcp_server"]);

/** GET /v1/marketplace/search's query: blank words left out (the route then ranks by installs), a chosen facet
 * value as its filter (verified as a boolean), a kind the route does not know dropped rather than sent. */
export function searchQuery(words: string, mode: SearchMode, filters: Filters, cursor?: string): SearchQuery {
  const query: SearchQuery = { mode };
  const q = words.trim();
  if (q) query.q = q;
  if (filters.kind && KINDS.has(filters.kind)) query.kind = filters.kind as SearchQuery["kind"];
  if (filters.category) query.category = filters.category;
  if (filters.publisher) query.publisher = filters.publisher;
  if (filters.verified === "true" || filters.verified === "false") query.verified = filters.verified === "true";
  if (filters.license) query.license = filters.license;
  if (cursor) query.cursor = cursor;
  return query;
}

/** The filters with one facet's value chosen, or cleared when it was already the chosen one. */
export function toggleFilter(filters: Filters, facet: Facet, value: string): Filters {
  const next = { ...filters };
  if (next[facet] === value) delete next[facet];
  else next[facet] = value;
  return next;
}

export interface Segment {
  text: string;
  marked: boolean;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return ENTITIES[name.toLowerCase()] ?? entity;
  });
}

/** A highlight (HTML-escaped text with <mark></mark> around matches) as plain-text segments, each marked or not.
 * Only <mark> and </mark> are markup; any other tag stays text, so rendering the segments as React text never
 * injects HTML whatever the answer holds. */
export function highlightSegments(highlight: string): Segment[] {
  const segments: Segment[] = [];
  let open = false;
  let text = "";
  const flush = (marked: boolean) => {
    if (text) segments.push({ text: unescapeHtml(text), marked });
    text = "";
  };
  for (const part of highlight.split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>" && !open) {
      flush(false);
      open = true;
    } else if (part === "</mark>" && open) {
      flush(true);
      open = false;
    } else {
      text += part;
    }
  }
  flush(open);
  return segments;
}

export interface TemplateParameter {
  name: string;
  description?: string;
  json_schema?: Record<string, unknown>;
  default?: unknown;
  required?: boolean;
}

/** A template's parameters as one object schema for the console's generated forms (forms/schema.ts); a parameter
 * with no schema of its own is text. */
export function parametersSchema(parameters: TemplateParameter[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const parameter of parameters) {
    const own = (parameter.json_schema ?? {}) as JsonSchema;
    const typed = own.type !== undefined || own.enum !== undefined || own.anyOf !== undefined;
    properties[parameter.name] = {
      ...(typed ? own : { ...own, type: "string" }),
      title: parameter.name,
      description: parameter.description || own.description,
      default: parameter.default ?? undefined,
    };
  }
  return {
    type: "object",
    properties,
    required: parameters.filter((parameter) => parameter.required !== false).map((parameter) => parameter.name),
  };
}
