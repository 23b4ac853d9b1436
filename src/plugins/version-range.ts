/**
 * The subset of semver ranges plugin authors write: `^1.2`, `~0.3.1`, `>=0.2 <2`, `1.x`, `*`, and `a || b`.
 * Enough for a plugin's `dust` field without a dependency; an unparsable range is reported, not guessed.
 */
type Version = [number, number, number];

export function parseVersion(v: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(v.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

function cmp(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (!v) throw new Error(`invalid version '${version}'`);
  return range.split('||').some((alt) => {
    const parts = alt.trim().split(/\s+/).filter((p) => p !== '');
    return parts.length === 0 || parts.every((p) => comparatorHolds(v, p, range));
  });
}

function comparatorHolds(v: Version, comp: string, whole: string): boolean {
  if (comp === '*' || comp === 'x' || comp === 'X') return true;
  const m = /^(\^|~|>=|<=|>|<|=)?v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(comp);
  if (!m) throw new Error(`invalid version range '${whole}'`);
  const op = m[1] ?? '';
  const isWild = (s: string | undefined) => s === undefined || /^[xX*]$/.test(s);
  const major = Number(m[2]);
  if (isWild(m[2])) return true;
  const minorWild = isWild(m[3]);
  const patchWild = isWild(m[4]);
  const base: Version = [major, minorWild ? 0 : Number(m[3]), patchWild ? 0 : Number(m[4])];
  const upper = (): Version => {
    if (op === '^') {
      if (base[0] > 0 || minorWild) return [base[0] + 1, 0, 0];
      if (base[1] > 0 || patchWild) return [0, base[1] + 1, 0];
      return [0, 0, base[2] + 1];
    }
    if (op === '~' || (op === '' && !minorWild && patchWild)) return minorWild ? [base[0] + 1, 0, 0] : [base[0], base[1] + 1, 0];
    if (op === '' && minorWild) return [base[0] + 1, 0, 0];
    return [base[0], base[1], base[2] + 1];
  };
  switch (op) {
    case '>=': return cmp(v, base) >= 0;
    case '>': return cmp(v, base) > 0;
    case '<=': return cmp(v, base) <= 0;
    case '<': return cmp(v, base) < 0;
    default: return cmp(v, base) >= 0 && cmp(v, upper()) < 0;
  }
}
