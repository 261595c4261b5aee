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

/** Go's Duration.String() of whole nanoseconds: `0s`, `750ns`, `1.5µs`, `12.5ms`, `1m30.25s`, `2h0m0s`. */
export function formatGoDuration(nanos: number): string {
  const sign = nanos < 0 ? '-' : '';
  let rest = Math.round(Math.abs(nanos));
  if (rest === 0) return '0s';
  if (rest < 1e3) return `${sign}${rest}ns`;
  if (rest < 1e6) return `${sign}${decimal(rest, 3)}\u00b5s`;
  if (rest < 1e9) return `${sign}${decimal(rest, 6)}ms`;
  const hours = Math.floor(rest / 3600e9);
  rest -= hours * 3600e9;
  const minutes = Math.floor(rest / 60e9);
  rest -= minutes * 60e9;
  const seconds = `${decimal(rest, 9)}s`;
  return sign + (hours ? `${hours}h${minutes}m${seconds}` : minutes ? `${minutes}m${seconds}` : seconds);
}

/** `value` / 10^digits as a decimal, without trailing zeros. */
function decimal(value: number, digits: number): string {
  const unit = 10 ** digits;
  const whole = Math.floor(value / unit);
  const fraction = value - whole * unit;
  return fraction === 0 ? String(whole) : `${whole}.${String(fraction).padStart(digits, '0').replace(/0+$/, '')}`;
}
