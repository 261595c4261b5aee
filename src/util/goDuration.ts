/**
 * Go's time.ParseDuration, which Podman's and Docker's flags and filters take:
 * an optional sign, then one or more decimal numbers each with a unit (ns, us,
 * µs or μs, ms, s, m, h), as in `300ms`, `-1.5h`, `2h45m`; or `0`.
 */
const UNIT_NANOS: Record<string, number> = { ns: 1, us: 1e3, '\u00b5s': 1e3, '\u03bcs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const PART = /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;

/** The duration in nanoseconds, or null when `text` is not a Go duration. */
export function parseGoDuration(text: string): number | null {
  let at = text[0] === '-' || text[0] === '+' ? 1 : 0;
  if (text.slice(at) === '0') return 0;
  if (at === text.length) return null;
  let total = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const part = PART.exec(text);
    if (!part) return null;
    total += Number(part[1]) * UNIT_NANOS[part[2]!]!;
    at = PART.lastIndex;
  }
  return text[0] === '-' ? -total : total;
}
