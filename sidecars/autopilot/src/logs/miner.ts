// Online log template miner in the Drain family (He et al., ICWS'17), with what later work added:
// - variables are masked per sub-token (tokenize.ts), so `key=<*>` keeps its key and numbers never route;
// - the similarity of a line to a template counts only the template's constant positions, so a template's
//   threshold adapts as it generalises (a template that is half variables no longer needs half its
//   tokens to be equal by chance);
// - over-split templates are merged: two templates of the same length that agree on every position where
//   both are constant are one event, whichever prefix-tree leaf each landed in;
// - a cache of exact masked lines answers repeated lines without a tree walk;
// - the state (templates and counts) serialises to JSON, so a baseline's templates are reused later.
import { maskLine, tokenize, WILDCARD, compileMasks, type Masks } from './tokenize';

export interface MinerOptions {
  /** Prefix-tree depth counting the root and the leaf layer, as in Drain (4 = two token layers). */
  depth?: number;
  /** A line joins the most similar template at its leaf when (equal constants) / (constants) ≥ this. */
  similarity?: number;
  /** Children per tree node before further tokens share one wildcard child. */
  maxChildren?: number;
  /** Regular expression sources whose matches are variables, applied before tokenizing. */
  masks?: readonly string[];
}

/** A learned template. The miner reuses the object for its cluster: read it, do not keep it across adds. */
export interface Template {
  id: number;
  /** Tokens with variables as `<*>`. */
  tokens: readonly string[];
  /** The template text, tokens joined by one space. */
  template: string;
  count: number;
}

export interface MinerState {
  version: 1;
  options: Required<MinerOptions>;
  templates: {
    id: number;
    tokens: string[];
    count: number;
    /** Value counts at generalised positions: [position, [[value, count]…] or null when many]. */
    values?: [number, [string, number][] | null][];
  }[];
  nextId: number;
}

interface Cluster {
  id: number;
  tokens: string[];
  count: number;
  /**
   * Value counts at each position that became a variable by generalisation; null once a position has held
   * more than TRACKED_VALUES distinct values (it is then surely a variable).
   */
  values: Map<number, Map<string, number> | null>;
  leaf: TreeNode;
  /** The template as last returned, kept until the tokens change. */
  view?: Template;
  /** Set when this cluster was merged into another; lookups follow it. */
  mergedInto?: Cluster;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

const DEFAULTS: Required<MinerOptions> = { depth: 4, similarity: 0.5, maxChildren: 100, masks: [] };
const CACHE_LIMIT = 200_000;
const TRACKED_VALUES = 8;
/**
 * A position generalised by the miner whose values are this few is an event-type word (a state, an
 * outcome: `LOOKING`/`FOLLOWING`, `failure`/`failures`), not a variable: events are told apart by it.
 */
const EVENT_WORD_VALUES = 3;

const newNode = (): TreeNode => ({ children: new Map(), clusters: [] });

/**
 * The miner compared more token positions than it was allowed. Drain compares a line with every template of its
 * leaf (and a new template with every one of its length): lines that are each their own template cost a number
 * of comparisons that grows with the square of their count, so whoever writes the lines decides the time.
 */
export class MinerWorkError extends Error {
  constructor(readonly limit: number) {
    super(`the template miner compared more than ${limit} token positions`);
    this.name = 'MinerWorkError';
  }
}

export class TemplateMiner {
  readonly options: Required<MinerOptions>;
  private readonly masks: Masks;
  private readonly root = new Map<number, TreeNode>();
  private readonly byId = new Map<number, Cluster>();
  private readonly byLength = new Map<number, Cluster[]>();
  private readonly exact = new Map<string, Cluster>();
  private nextId = 1;
  private comparedPositions = 0;

  /** `maxComparisons`: token positions (templates compared × their length) beyond which MinerWorkError is thrown. */
  constructor(
    options: MinerOptions = {},
    private readonly maxComparisons = Infinity,
  ) {
    this.options = { ...DEFAULTS, ...options };
    const { depth, similarity, maxChildren } = this.options;
    if (!Number.isInteger(depth) || depth < 3) throw new Error(`depth must be an integer ≥ 3, got ${depth}`);
    if (!(similarity > 0 && similarity <= 1)) throw new Error(`similarity must be in (0, 1], got ${similarity}`);
    if (!Number.isInteger(maxChildren) || maxChildren < 2)
      throw new Error(`maxChildren must be an integer ≥ 2, got ${maxChildren}`);
    this.masks = compileMasks(this.options.masks);
  }

  /** Token positions compared so far: what learning and matching cost, templates compared × their length. */
  get comparisons(): number {
    return this.comparedPositions;
  }

  /** Counts a scan of `templates` templates of `length` tokens before it is made. */
  private charge(templates: number, length: number): void {
    this.comparedPositions += templates * (length + 1);
    if (this.comparedPositions > this.maxComparisons) throw new MinerWorkError(this.maxComparisons);
  }

  tokenize(content: string): string[] {
    return tokenize(content, this.masks);
  }

  /** Learns from one message and returns the template it now belongs to. */
  add(content: string): Template {
    return this.addMasked(this.mask(content));
  }

  /** A message as the miner compares it: variables masked, tokens joined by one space. */
  mask(content: string): string {
    return maskLine(content, this.masks);
  }

  /**
   * add() for a message already masked by mask(), `times` times over (as many adds one after the other: a
   * window's repeated line costs one call, not one per line).
   */
  addMasked(key: string, times = 1): Template {
    // The masked line is the cache key; tokens are only split out when the cache misses or the cluster
    // tracks values.
    const cached = this.exact.get(key);
    if (!cached) {
      const template = this.addTokens(key === '' ? [] : key.split(' '), key);
      return times > 1 ? this.addMasked(key, times - 1) : template;
    }
    const cluster = resolve(cached);
    if (cluster.values.size === 0) cluster.count += times;
    else countKey(cluster, key, times);
    return view(cluster);
  }

  private addTokens(tokens: string[], key: string): Template {
    const leaf = this.leafFor(tokens, true)!;
    let cluster = this.bestMatch(leaf.clusters, tokens);
    if (cluster) {
      if (generalise(cluster, tokens)) cluster = this.mergeOverSplit(cluster);
    } else {
      cluster = this.newCluster(this.nextId++, [...tokens], 0, leaf);
      const routedApart = this.routedApart(cluster);
      if (routedApart) {
        generalise(routedApart, cluster.tokens);
        cluster = this.fold(routedApart, cluster);
      }
      cluster = this.mergeOverSplit(cluster);
    }
    count(cluster, tokens);
    if (this.exact.size >= CACHE_LIMIT) this.exact.clear();
    this.exact.set(key, cluster);
    return view(cluster);
  }

  private newCluster(id: number, tokens: string[], count: number, leaf: TreeNode): Cluster {
    const cluster: Cluster = { id, tokens, count, values: new Map(), leaf };
    leaf.clusters.push(cluster);
    this.byId.set(id, cluster);
    const sameLength = this.byLength.get(tokens.length) ?? [];
    sameLength.push(cluster);
    this.byLength.set(tokens.length, sameLength);
    return cluster;
  }

  /**
   * The event a message belongs to, without learning; undefined for an unseen kind of message. Events
   * are the learned templates, told apart further by their event-type words (EVENT_WORD_VALUES): the
   * event's `template` text is its identity.
   */
  match(content: string): Template | undefined {
    return this.matchMasked(this.mask(content));
  }

  /** match() for a message already masked by mask(). */
  matchMasked(key: string): Template | undefined {
    const tokens = key === '' ? [] : key.split(' ');
    const cluster = this.clusterOf(tokens);
    return cluster && eventView(cluster, tokens);
  }

  private clusterOf(tokens: readonly string[]): Cluster | undefined {
    const cached = this.exact.get(tokens.join(' '));
    if (cached) return resolve(cached);
    const leaf = this.leafFor(tokens, false);
    const inLeaf = leaf && this.bestMatch(leaf.clusters, tokens);
    if (inLeaf) return inLeaf;
    // A template generalised by a merge may live under another prefix: accept one that covers the line.
    const sameLength = this.byLength.get(tokens.length);
    this.charge(sameLength?.length ?? 0, tokens.length);
    return sameLength?.find((c) => !c.mergedInto && covers(c.tokens, tokens));
  }

  template(id: number): Template | undefined {
    const cluster = this.byId.get(id);
    return cluster && view(resolve(cluster));
  }

  templates(): Template[] {
    return [...this.byId.values()].filter((c) => !c.mergedInto).map(view);
  }

  toJSON(): MinerState {
    return {
      version: 1,
      options: { ...this.options, masks: [...this.options.masks] },
      templates: [...this.byId.values()]
        .filter((c) => !c.mergedInto)
        .map((c) => ({
          id: c.id,
          tokens: [...c.tokens],
          count: c.count,
          values: [...c.values].map(([position, values]) => [position, values && [...values]]),
        })),
      nextId: this.nextId,
    };
  }

  static fromJSON(state: MinerState): TemplateMiner {
    if (state?.version !== 1) throw new Error('miner state: unsupported or missing version (expected 1)');
    const miner = new TemplateMiner(state.options);
    for (const saved of state.templates) {
      if (!Array.isArray(saved.tokens) || !Number.isInteger(saved.id))
        throw new Error(`miner state: template ${JSON.stringify(saved.id)} has no id or tokens`);
      const tokens = saved.tokens.map(String);
      const cluster = miner.newCluster(saved.id, tokens, Number(saved.count) || 0, miner.leafFor(tokens, true)!);
      for (const [position, values] of saved.values ?? []) cluster.values.set(position, values && new Map(values));
    }
    miner.nextId = Math.max(state.nextId, ...state.templates.map((t) => t.id + 1), 1);
    return miner;
  }

  // Drain's tree: first layer the token count, then the leading tokens; a variable token routes to the
  // wildcard child, and so does any token once a node has maxChildren children.
  private leafFor(tokens: readonly string[], create: boolean): TreeNode | undefined {
    let node: TreeNode | undefined = this.root.get(tokens.length);
    if (!node) {
      if (!create) return undefined;
      node = newNode();
      this.root.set(tokens.length, node);
    }
    const layers = Math.min(this.options.depth - 2, tokens.length);
    for (let i = 0; i < layers; i++) {
      const token = tokens[i]!;
      let next: TreeNode | undefined = node.children.get(token);
      if (!next) {
        const wildcard = node.children.get(WILDCARD);
        if (!create) {
          if (!wildcard) return undefined;
          next = wildcard;
        } else if (token === WILDCARD || hasDigit(token) || node.children.size >= this.options.maxChildren - 1) {
          next = wildcard ?? newNode();
          node.children.set(WILDCARD, next);
        } else {
          next = newNode();
          node.children.set(token, next);
        }
      }
      node = next;
    }
    return node;
  }

  private bestMatch(clusters: readonly Cluster[], tokens: readonly string[]): Cluster | undefined {
    this.charge(clusters.length, tokens.length);
    let best: Cluster | undefined;
    let bestScore = -1;
    let bestWildcards = -1;
    for (const cluster of clusters) {
      const { score, wildcards } = similarity(cluster.tokens, tokens);
      if (score > bestScore || (score === bestScore && wildcards > bestWildcards)) {
        best = cluster;
        bestScore = score;
        bestWildcards = wildcards;
      }
    }
    return best && bestScore >= this.options.similarity ? best : undefined;
  }

  // Two templates of one length that agree wherever both are constant describe one event (they were split
  // only because an early line routed through a variable leading token): fold the newer into the older.
  private mergeOverSplit(changed: Cluster): Cluster {
    const sameLength = this.byLength.get(changed.tokens.length)!;
    this.charge(sameLength.length, changed.tokens.length);
    for (const other of sameLength) {
      if (other === changed || other.mergedInto) continue;
      if (!compatible(other.tokens, changed.tokens)) continue;
      return this.mergeOverSplit(this.fold(other, changed));
    }
    return changed;
  }

  /** Merges two clusters into the older one, which it returns. */
  private fold(a: Cluster, b: Cluster): Cluster {
    const [keep, drop] = a.id < b.id ? [a, b] : [b, a];
    absorb(keep, drop);
    drop.mergedInto = keep;
    drop.leaf.clusters = drop.leaf.clusters.filter((c) => c !== drop);
    const sameLength = this.byLength.get(keep.tokens.length)!;
    this.byLength.set(
      keep.tokens.length,
      sameLength.filter((c) => c !== drop),
    );
    return keep;
  }

  // Drain routes by leading tokens, so `alice logged in` and `bob logged in` land in different leaves.
  // A new cluster that equals another everywhere past the routing prefix, and is similar enough overall,
  // is the same event split by a variable in the prefix.
  private routedApart(fresh: Cluster): Cluster | undefined {
    const prefix = Math.min(this.options.depth - 2, fresh.tokens.length);
    let best: Cluster | undefined;
    let bestScore = -1;
    const sameLength = this.byLength.get(fresh.tokens.length)!;
    this.charge(sameLength.length, fresh.tokens.length);
    for (const other of sameLength) {
      if (other === fresh || other.mergedInto || other.leaf === fresh.leaf) continue;
      let sameTail = true;
      for (let i = prefix; i < fresh.tokens.length && sameTail; i++)
        sameTail = other.tokens[i] === WILDCARD || tokenMatches(other.tokens[i]!, fresh.tokens[i]!);
      if (!sameTail) continue;
      const { score } = similarity(other.tokens, fresh.tokens);
      if (score > bestScore) {
        best = other;
        bestScore = score;
      }
    }
    return best && bestScore >= this.options.similarity ? best : undefined;
  }
}

function resolve(cluster: Cluster): Cluster {
  let current = cluster;
  while (current.mergedInto) current = current.mergedInto;
  return current;
}

function view(cluster: Cluster): Template {
  if (!cluster.view)
    cluster.view = { id: cluster.id, tokens: [...cluster.tokens], template: cluster.tokens.join(' '), count: 0 };
  cluster.view.count = cluster.count;
  return cluster.view;
}

// A position that held a path or a host name (dotted, with a number in it: `MSRA-SA-<*>.fareast.corp`,
// `/ws/*`) is a variable with few values in this window, not an event-type word such as a state or an
// action name (`android.intent.action.SCREEN_ON`).
const PATH = /\//;
const HOST = /^(?=.*[\d*]).*\w\.\w/;

// Month and weekday names are part of a date (`at Sun Jul 3 …`), a variable whatever few values it took.
const DATE_WORD = /^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)\W*$/i;

function allWords(values: ReadonlyMap<string, number>): boolean {
  for (const value of values.keys()) if (PATH.test(value) || HOST.test(value) || DATE_WORD.test(value)) return false;
  return true;
}

// A value after `key=` is a parameter (`user=root`), not a word that names the event, unless the values are
// constants written as such (`action=ACTION_DOWN`, `state=RUNNING`: an enumeration's upper-case names).
const ENUM_CONSTANT = /=[A-Z][A-Z0-9_]+\W*$/;

function parameterValues(templateToken: string, values: ReadonlyMap<string, number>): boolean {
  if (!templateToken.includes('=' + WILDCARD)) return false;
  for (const value of values.keys()) if (!ENUM_CONSTANT.test(value)) return true;
  return false;
}

function eventView(cluster: Cluster, tokens: readonly string[]): Template {
  let eventTokens: string[] | undefined;
  for (const [position, values] of cluster.values) {
    if (!values || values.size < 2 || values.size > EVENT_WORD_VALUES || !allWords(values)) continue;
    if (parameterValues(cluster.tokens[position]!, values)) continue;
    const token = tokens[position]!;
    if (!values.has(token)) continue;
    eventTokens ??= [...cluster.tokens];
    eventTokens[position] = token;
  }
  if (!eventTokens) return view(cluster);
  return { id: cluster.id, tokens: eventTokens, template: eventTokens.join(' '), count: cluster.count };
}

/** Equal constants over the template's constant positions (1 when the template is all variables). */
function similarity(template: readonly string[], tokens: readonly string[]): { score: number; wildcards: number } {
  let equal = 0;
  let wildcards = 0;
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    if (t === WILDCARD || isBareVariable(t)) wildcards++;
    else if (tokenMatches(t, tokens[i]!)) equal++;
  }
  const constants = template.length - wildcards;
  return { score: constants === 0 ? 1 : equal / constants, wildcards };
}

/**
 * A variable with only punctuation around it (`<*>:`, `(<*>)`, `<*>,`) says nothing about the event: almost
 * any token matches it, so it counts as a variable, not as an equal constant, when lines are compared.
 */
function isBareVariable(token: string): boolean {
  const at = token.indexOf(WILDCARD);
  if (at < 0) return false;
  for (let i = 0; i < token.length; i++) {
    if (i === at) i += WILDCARD.length - 1;
    else if (isWordCode(token.charCodeAt(i)) || token.charCodeAt(i) > 127) return false;
  }
  return true;
}

/**
 * Makes every position where the template and the tokens differ a variable; true when the template
 * changed. Such a position starts tracking its values: the old constant held for every line so far.
 */
function generalise(cluster: Cluster, tokens: readonly string[]): boolean {
  const template = cluster.tokens;
  let changed = false;
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    if (t !== tokens[i] && t !== WILDCARD && !tokenMatches(t, tokens[i]!)) {
      if (!cluster.values.has(i)) cluster.values.set(i, new Map([[t, cluster.count]]));
      template[i] = generaliseToken(t, tokens[i]!);
      changed = true;
    }
  }
  if (changed) cluster.view = undefined;
  return changed;
}

/** Counts one line: the cluster's total and the values at its tracked positions. */
function count(cluster: Cluster, tokens: readonly string[]): void {
  cluster.count++;
  for (const [position, values] of cluster.values) {
    if (!values) continue;
    const token = tokens[position]!;
    values.set(token, (values.get(token) ?? 0) + 1);
    if (values.size > TRACKED_VALUES) cluster.values.set(position, null);
  }
}

/** count() for a line given as its masked text, `times` over: only the tokens at positions still tracked are cut out. */
function countKey(cluster: Cluster, key: string, times: number): void {
  cluster.count += times;
  for (const [position, values] of cluster.values) {
    if (!values) continue;
    const token = tokenAt(key, position);
    values.set(token, (values.get(token) ?? 0) + times);
    if (values.size > TRACKED_VALUES) cluster.values.set(position, null);
  }
}

/** key.split(' ')[position] without splitting the rest. */
function tokenAt(key: string, position: number): string {
  let start = 0;
  for (let p = 0; p < position; p++) start = key.indexOf(' ', start) + 1;
  const end = key.indexOf(' ', start);
  return key.slice(start, end < 0 ? key.length : end);
}

/** Folds cluster `drop` into `keep`: the template generalises over both, counts and values add up. */
function absorb(keep: Cluster, drop: Cluster): void {
  generalise(keep, drop.tokens);
  generalise(drop, keep.tokens);
  for (const [position, dropValues] of drop.values) {
    const keepValues = keep.values.get(position);
    if (keepValues === undefined) keep.values.set(position, dropValues && new Map(dropValues));
    else if (keepValues === null || dropValues === null) keep.values.set(position, null);
    else {
      for (const [value, n] of dropValues) keepValues.set(value, (keepValues.get(value) ?? 0) + n);
      if (keepValues.size > TRACKED_VALUES) keep.values.set(position, null);
    }
  }
  keep.count += drop.count;
}

// `user=root` and `user=admin` generalise to `user=<*>`: a shared head up to `=` or `:` is kept, and so are
// a shared head and tail of punctuation (`<*>,`, `(<*>)`, `[<*>]`), also around a token already generalised.
function generaliseToken(a: string, b: string): string {
  const shortest = Math.min(a.length, b.length);
  const firstVariable = a.indexOf(WILDCARD);
  const headLimit = firstVariable < 0 ? shortest : Math.min(shortest, firstVariable);
  let head = 0;
  let leadingPunctuation = true;
  for (let i = 0; i < headLimit && a[i] === b[i]; i++) {
    const word = isWordCode(a.charCodeAt(i));
    if (a[i] === '=' || a[i] === ':' || (leadingPunctuation && !word)) head = i + 1;
    if (word) leadingPunctuation = false;
  }
  const lastVariable = a.lastIndexOf(WILDCARD);
  const tailLimit = Math.min(shortest - head, lastVariable < 0 ? a.length : a.length - lastVariable - WILDCARD.length);
  let tail = 0;
  while (
    tail < tailLimit &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail] &&
    !isWordCode(a.charCodeAt(a.length - 1 - tail))
  )
    tail++;
  const generalised = a.slice(0, head) + WILDCARD + a.slice(a.length - tail);
  return generalised === a ? WILDCARD : generalised;
}

/** A template token equals a token, or has one wildcard whose head and tail the token has. */
function tokenMatches(template: string, token: string): boolean {
  if (template === token) return true;
  const at = template.indexOf(WILDCARD);
  if (at < 0) return false;
  const tail = template.slice(at + WILDCARD.length);
  return (
    token.length >= template.length - WILDCARD.length &&
    token.startsWith(template.slice(0, at)) &&
    token.endsWith(tail) &&
    !tail.includes(WILDCARD)
  );
}

const isWordCode = (code: number) =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;

function hasDigit(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code >= 48 && code <= 57) return true;
  }
  return false;
}

function compatible(a: readonly string[], b: readonly string[]): boolean {
  let shared = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === WILDCARD || y === WILDCARD) continue;
    if (!tokenMatches(x, y) && !tokenMatches(y, x)) return false;
    shared++;
  }
  return shared > 0 || a.length === 0;
}

function covers(template: readonly string[], tokens: readonly string[]): boolean {
  for (let i = 0; i < template.length; i++)
    if (template[i] !== WILDCARD && !tokenMatches(template[i]!, tokens[i]!)) return false;
  return true;
}
