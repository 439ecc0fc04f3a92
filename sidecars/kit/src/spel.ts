/** Where a literal `${...}` was found in a payload, meaning Orca could not evaluate that expression. */
export interface UnresolvedExpression {
  /** Dotted field path, e.g. `approverGroups.0.name`. */
  path: string;
  expression: string;
}

const EXPRESSION = /\$\{[^}]*\}/;

/** Finds the first string field that still holds a SpEL expression (Orca leaves failed ones as text). */
export function findUnresolvedExpression(value: unknown, path: string[] = []): UnresolvedExpression | undefined {
  if (typeof value === 'string') {
    const match = EXPRESSION.exec(value);
    return match ? { path: path.join('.') || '(body)', expression: match[0] } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnresolvedExpression(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findUnresolvedExpression(child, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}
