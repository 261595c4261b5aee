/** podman's human-readable sizes and durations (docker/go-units). */
import { formatGoFloat } from './goFloat.js';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units HumanSizeWithPrecision: decimal units, `precision` significant digits, no space ("5.85MB"). */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${formatGoFloat(size, 'g', precision)}${DECIMAL_UNITS[unit]}`;
}


/** podman's image and container sizes: 3 significant digits, a space before the unit ("5.85 MB", "950 B"). */
export function humanSize(bytes: number): string {
  const text = humanSizeWithPrecision(bytes, 3);
  const lastDigit = text.search(/\d(?!.*\d)/);
  return `${text.slice(0, lastDigit + 1)} ${text.slice(lastDigit + 1)}`;
}

/** go-units HumanDuration of a duration in milliseconds ("Less than a second", "About an hour", "3 weeks"). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** podman's "CREATED" column: the time since `date` ("5 minutes ago"). */
/** RFC 3339 in whole seconds, as Go prints time.Time in podman's JSON (`2024-01-01T00:00:00Z`). */
export function isoSeconds(date: Date | number): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function timeAgo(date: Date | number, now: Date | number = Date.now()): string {
  return `${humanDuration(Number(now) - Number(date))} ago`;
}

const BINARY_SCALE: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const DECIMAL_SCALE: Record<string, number> = { b: 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

function sizeInBytes(value: string, scale: Record<string, number>): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp])?i?b?$/i.exec(value.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * scale[(m[2] ?? 'b').toLowerCase()]!);
}

/** go-units RAMInBytes: `512m`, `1g`, `100k`, `1024`, in binary units (memory limits, --shm-size); undefined when malformed. */
export function ramInBytes(value: string): number | undefined {
  return sizeInBytes(value, BINARY_SCALE);
}

/** go-units FromHumanSize: `10m`, `1.5GB` in decimal units (log sizes); undefined when malformed. */
export function fromHumanSize(value: string): number | undefined {
  return sizeInBytes(value, DECIMAL_SCALE);
}
