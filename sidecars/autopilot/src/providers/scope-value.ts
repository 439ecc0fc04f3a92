// Scope values put into a provider's query. A verification's scope comes from the pipeline (Orca's stage
// parameters), the query from a template someone else may own, so a value must stay a value: a
// `x"} or up{app="billing` must not end the template's string literal and rewrite its selector, nor a
// `.*` widen a regular expression the template pins to one server group.
//
// `${scope.<label>}` is written by where it stands in the query: inside one of the language's string
// literals it is escaped as that literal requires (and, in a regular-expression literal, its regex
// metacharacters too); outside any literal it is inserted as written, as Kayenta does: there the template
// says the scope is filter text (Kayenta's Datadog `metric{${scope.scope}}`, Wavefront `ts(m, ${scope.scope})`).
// `${scope}` is written by each provider's renderScope, which quotes keys and values in its own syntax.
import { ProviderError, type ProviderType } from './provider';

/** A scope value the query language cannot hold where the template puts it; names the scope label. */
export class ScopeValueError extends ProviderError {
  readonly label: string;

  constructor(provider: string, label: string, value: string, problem: string) {
    super(provider, 'query', `${provider}: scope label ${label}: the value ${JSON.stringify(value)} ${problem}`);
    this.label = label;
  }
}

/** One kind of string literal: how it is scanned, and how a value is written inside it. */
interface Literal {
  /** The character that escapes the next one inside the literal while scanning (none: a raw literal). */
  escape?: string;
  /**
   * The value as it is written between the quotes; `regex` says the literal is a regular expression (from
   * the text before the placeholder). Returns the reason when the literal cannot hold the value.
   */
  write(value: string, regex: boolean): string | { problem: string };
}

/** A query language's literals by opening quote, and how a literal is known to be a regular expression. */
interface QuerySyntax {
  literals: Record<string, Literal>;
  /** Whether the literal opened after `before` and holding `inside` (up to the placeholder) is a regex. */
  isRegex?(before: string, inside: string): boolean;
  /** Whether the literal opened after `before` is a raw string (no escapes: NRQL's `r'…'`). */
  isRaw?(before: string): boolean;
  /** Characters a value may not hold inside any literal (e.g. a wildcard the language cannot escape). */
  refused?: { pattern: RegExp; problem: string };
}

const CONTROL = /[\u0000-\u001f\u007f]/;
/** RE2 / PCRE / Python metacharacters; a backslash before punctuation is a literal in each of them. */
const regexEscaped = (value: string): string => value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');

/** A literal whose escape is a backslash before the quote and before itself (Go, SQL-like, Python). */
function backslashed(quote: string): Literal {
  return {
    escape: '\\',
    write(value, regex) {
      const text = regex ? regexEscaped(value) : value;
      return text.replace(/\\/g, '\\\\').split(quote).join(`\\${quote}`);
    },
  };
}

/** A literal without escapes: the value may hold neither the quote nor a backslash (which could escape it). */
function raw(quote: string, escape?: string): Literal {
  return {
    ...(escape ? { escape } : {}),
    write(value, regex) {
      const text = regex ? regexEscaped(value) : value;
      if (text.includes(quote) || (!regex && value.includes('\\')))
        return { problem: `holds ${quote}${regex ? '' : ' or \\'}, which this literal of the query cannot hold` };
      return text;
    },
  };
}

const SYNTAX: Record<ProviderType, QuerySyntax> = {
  // PromQL strings are Go's: "…" and '…' with backslash escapes, `…` raw; `=~` and `!~` take RE2.
  prometheus: {
    literals: { '"': backslashed('"'), "'": backslashed("'"), '`': raw('`') },
    isRegex: (before) => /[=!]~\s*$/.test(before),
  },
  // Datadog metric queries have no string literals: the scope is tag text wherever it stands.
  datadog: { literals: {} },
  // NRQL: '…' strings with backslash escapes (r'…' without), `…` attribute names without; RLIKE takes a regex.
  newrelic: {
    literals: { "'": backslashed("'"), '`': raw('`') },
    isRegex: (before) => /\bRLIKE\s+r?$/i.test(before),
    isRaw: (before) => /\br$/i.test(before),
  },
  // Graphite strings have no escapes; in seriesByTag('name=~value') the value after `=~` is a regex.
  graphite: {
    literals: { "'": raw("'", '\\'), '"': raw('"', '\\') },
    isRegex: (_before, inside) => /^[^=]*!?=~/.test(inside),
    refused: { pattern: /^~|;/, problem: 'starts with ~ or holds ;, which would change a Graphite tag expression' },
  },
  // InfluxQL: '…' strings and "…" identifiers with backslash escapes; /…/ regexes after =~ or !~, where only
  // `\/` is unescaped (the rest goes to the regex as written).
  influxdb: {
    literals: {
      "'": backslashed("'"),
      '"': backslashed('"'),
      '/': { escape: '\\', write: (value) => regexEscaped(value).replace(/\//g, '\\/') },
    },
    isRegex: (before) => /[=!]~\s*$/.test(before),
  },
  // Metrics Insights and SEARCH() nest "…" inside '…': scope values never need either, so both are refused.
  cloudwatch: {
    literals: { "'": raw("'", '\\'), '"': raw('"', '\\') },
    refused: { pattern: /["'\\]/, problem: 'holds a quote or \\, which a CloudWatch expression cannot nest safely' },
  },
  // Cloud Monitoring filters: "…" with backslash escapes; monitoring.regex.full_match("…") takes RE2.
  stackdriver: {
    literals: { '"': backslashed('"') },
    isRegex: (before) => /regex\.full_match\(\s*$/.test(before),
  },
  // Dynatrace selectors: "…" where ~ escapes " and ~.
  dynatrace: {
    literals: {
      '"': { escape: '~', write: (value) => value.replace(/~/g, '~~').replace(/"/g, '~"') },
    },
  },
  // SignalFlow is Python-like: '…' and "…" with backslash escapes; * in a filter value is a wildcard.
  signalfx: {
    literals: { "'": backslashed("'"), '"': backslashed('"') },
    refused: { pattern: /\*/, problem: 'holds *, which SignalFlow reads as a wildcard and cannot escape' },
  },
  // WQL: "…" with backslash escapes; * in a quoted tag value is still a wildcard.
  wavefront: {
    literals: { '"': backslashed('"') },
    refused: { pattern: /\*/, problem: 'holds *, which Wavefront reads as a wildcard and cannot escape' },
  },
  // AppDynamics metric paths have no literals: the scope is path text wherever it stands.
  appdynamics: { literals: {} },
};

/** A `${...}` placeholder of a query, and the literal it stands in (its opening quote), if any. */
export interface PlaceholderAt {
  start: number;
  end: number;
  name: string;
  /** Opening quote of the literal around it; absent outside any literal. */
  quote?: string;
  /** Whether that literal is a regular expression. */
  regex: boolean;
  /** Whether that literal is a raw string of a language whose other literals take escapes. */
  raw?: boolean;
}

/** Finds the placeholders of `query`, each with the string literal (of `type`'s language) it stands in. */
export function placeholdersIn(query: string, type: ProviderType): PlaceholderAt[] {
  const syntax = SYNTAX[type];
  const found: PlaceholderAt[] = [];
  let open: { quote: string; literal: Literal; at: number } | undefined;
  for (let index = 0; index < query.length; index++) {
    if (query.startsWith('${', index)) {
      const close = query.indexOf('}', index);
      if (close < 0) break;
      const regex =
        open !== undefined &&
        (syntax.isRegex?.(query.slice(0, open.at), query.slice(open.at + 1, index).replace(/\$\{[^}]*\}/g, '')) ??
          false);
      const rawString = open !== undefined && (syntax.isRaw?.(query.slice(0, open.at)) ?? false);
      found.push({
        start: index,
        end: close + 1,
        name: query.slice(index + 2, close).trim(),
        ...(open ? { quote: open.quote } : {}),
        regex,
        ...(rawString ? { raw: true } : {}),
      });
      index = close;
      continue;
    }
    const char = query[index]!;
    if (open) {
      // An escape never hides a placeholder (template.ts finds every `${…}` wherever it stands).
      if (char === open.literal.escape && !query.startsWith('${', index + 1)) index++;
      else if (char === open.quote) open = undefined;
    } else if (Object.hasOwn(syntax.literals, char)) {
      // InfluxQL's `/` is division too: a regex literal only where a regex operator comes before it.
      if (char === '/' && !/[=!]~\s*$/.test(query.slice(0, index))) continue;
      open = { quote: char, literal: syntax.literals[char]!, at: index };
    }
  }
  return found;
}

/**
 * `value` written where `placeholder` stands in a query of `provider`'s language: escaped inside a literal,
 * as written outside one. Throws ScopeValueError when the literal cannot hold it.
 */
export function writeScopeValue(
  provider: { name: string; type: ProviderType },
  label: string,
  value: string,
  placeholder: Pick<PlaceholderAt, 'quote' | 'regex' | 'raw'>,
): string {
  if (placeholder.quote === undefined) return value;
  const syntax = SYNTAX[provider.type];
  if (CONTROL.test(value)) throw new ScopeValueError(provider.name, label, value, 'holds a control character');
  if (syntax.refused?.pattern.test(value))
    throw new ScopeValueError(provider.name, label, value, syntax.refused.problem);
  const literal = placeholder.raw ? raw(placeholder.quote) : syntax.literals[placeholder.quote]!;
  const written = literal.write(value, placeholder.regex);
  if (typeof written !== 'string') throw new ScopeValueError(provider.name, label, value, written.problem);
  return written;
}
