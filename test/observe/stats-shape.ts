// Comparing two stats documents by shape: the keys, their nesting and the types of their values.

/** Where `ours` differs from `theirs` in shape: a key of theirs missing or of another type (extra keys: see `extra`). */
export function shapeDifferences(theirs: unknown, ours: unknown, path = '$'): string[] {
  const t = kind(theirs);
  const o = kind(ours);
  if (t !== o) return [`${path}: ${t} in uWSGI's, ${o} in ours`];
  if (t === 'array') {
    const a = theirs as unknown[];
    const b = ours as unknown[];
    // element shapes compare where both have elements (uWSGI's own apps[] and vars[] are empty when idle)
    return a.length > 0 && b.length > 0 ? b.flatMap((x, i) => shapeDifferences(a[0], x, `${path}[${i}]`)) : [];
  }
  if (t === 'object') {
    const a = theirs as Record<string, unknown>;
    const b = ours as Record<string, unknown>;
    return Object.keys(a).flatMap((k) =>
      Object.hasOwn(b, k) ? shapeDifferences(a[k], b[k], `${path}.${k}`) : [`${path}.${k}: missing in ours`],
    );
  }
  return [];
}

/** Keys of ours that uWSGI's document does not have, anywhere. */
export function extraKeys(theirs: unknown, ours: unknown, path = '$'): string[] {
  if (kind(theirs) === 'object' && kind(ours) === 'object') {
    const a = theirs as Record<string, unknown>;
    const b = ours as Record<string, unknown>;
    return Object.keys(b).flatMap((k) =>
      Object.hasOwn(a, k) ? extraKeys(a[k], b[k], `${path}.${k}`) : [`${path}.${k}`],
    );
  }
  if (kind(theirs) === 'array' && kind(ours) === 'array') {
    const a = theirs as unknown[];
    const b = ours as unknown[];
    return a.length > 0 ? b.flatMap((x, i) => extraKeys(a[0], x, `${path}[${i}]`)) : [];
  }
  return [];
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  // uWSGI writes integers only: a fraction in ours would be a different type to its readers
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
