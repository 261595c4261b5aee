const startNs = process.hrtime.bigint();
const startMs = BigInt(Date.now()) * 1_000_000n;

/** Now as RFC 3339 in UTC with nanoseconds, as podman's JSON prints times. */
export function nowRfc3339Nano(): string {
  const ns = startMs + (process.hrtime.bigint() - startNs);
  const ms = Number(ns / 1_000_000n);
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** Unix seconds of an RFC 3339 time; 0 for ''. */
export function unixSeconds(rfc3339: string): number {
  if (!rfc3339) return 0;
  return Math.floor(Date.parse(rfc3339) / 1000);
}

/** Go's time.Time String(): `2026-11-23 09:04:07.005347933 +0000 UTC`. */
export function goTimeString(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(rfc3339);
  if (!m) return rfc3339;
  const fraction = (m[3] ?? '').replace(/0+$/, '').replace(/^\.$/, '');
  return `${m[1]} ${m[2]}${fraction} +0000 UTC`;
}
