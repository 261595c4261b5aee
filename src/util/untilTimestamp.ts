/**
 * The `until` timestamps of podman's filters (containers/common timetype):
 * Go durations, RFC 3339-like dates and Unix seconds, in nanoseconds.
 */

import { InvalidArgumentError } from './errors.js';
import { parseGoDuration } from './goDuration.js';

export const NS_PER_S = 1_000_000_000n;

export function utcSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime() / 1000;
}

/**
 * The `until` limit in Unix nanoseconds: a Go duration before `now`, an RFC 3339-like date or time
 * (local time without a zone), or Unix seconds with optional fraction.
 */
export function parseUntilTimestamp(value: string, now: Date): bigint {
  const duration = value === '0' ? null : parseGoDuration(value);
  if (duration !== null) return BigInt(Math.floor((now.getTime() - duration / 1e6) / 1000)) * NS_PER_S;
  const zoned = /[zZ+]/.test(value) || value.split('-').length - 1 === 3;
  const layout = timeLayout(value, zoned);
  try {
    return parseGoTime(layout, value, zoned ? null : -now.getTimezoneOffset());
  } catch (error) {
    if (value.includes('-')) throw error;
    const ts = /^([+-]?\d+)(?:\.([+-]?\d+))?$/.exec(value);
    if (!ts) throw new InvalidArgumentError(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
    const fraction = ts[2] === undefined ? 0 : Math.trunc(Number(ts[2]) * 10 ** (9 - ts[2].length));
    return BigInt(ts[1]!) * NS_PER_S + BigInt(fraction);
  }
}

/** timetype.GetTimestamp's choice of layout. */
function timeLayout(value: string, zoned: boolean): string {
  if (value.includes('.')) return zoned ? '2006-01-02T15:04:05.999999999Z07:00' : '2006-01-02T15:04:05.999999999';
  if (value.includes('T')) {
    let colons = value.split(':').length - 1;
    if (zoned && !/[zZ]/.test(value) && colons > 0) colons--;
    const time = ['15', '15:04', '15:04:05'][Math.min(colons, 2)]!;
    return `2006-01-02T${time}${zoned ? 'Z07:00' : ''}`;
  }
  return zoned ? '2006-01-02Z07:00' : '2006-01-02';
}

const LAYOUT_ELEMENTS = /2006|01|02|15|04|05|\.999999999|Z07:00/g;

/**
 * Go's time.Parse for the few layouts above, with its error messages. `offsetMinutes` is the fixed zone
 * of a layout without one (null when the layout has a zone).
 */
function parseGoTime(layout: string, value: string, offsetMinutes: number | null): bigint {
  const fail = (valueElem: string, layoutElem: string): never => {
    throw new InvalidArgumentError(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(valueElem)} as ${JSON.stringify(layoutElem)}`);
  };
  const outOfRange = (what: string): never => {
    throw new InvalidArgumentError(`parsing time ${JSON.stringify(value)}: ${what} out of range`);
  };
  const t = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanos: 0, offset: offsetMinutes ?? 0 };
  const elements = [...layout.matchAll(LAYOUT_ELEMENTS)];
  let rest = value;
  let at = 0;
  const number = (elem: string, fixed: boolean): number => {
    const m = (fixed ? /^\d\d/ : /^\d\d?/).exec(rest);
    if (!m) fail(rest, elem);
    rest = rest.slice(m![0].length);
    return Number(m![0]);
  };
  const fraction = (): void => {
    const m = /^[.,](\d+)/.exec(rest);
    if (!m) return;
    t.nanos = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
    rest = rest.slice(m[0].length);
  };
  elements.forEach((match, i) => {
    const literal = layout.slice(at, match.index);
    if (!rest.startsWith(literal)) fail(rest, literal);
    rest = rest.slice(literal.length);
    at = match.index! + match[0].length;
    const elem = match[0];
    switch (elem) {
      case '2006':
        if (!/^\d{4}/.test(rest)) fail(rest, elem);
        t.year = Number(rest.slice(0, 4));
        rest = rest.slice(4);
        break;
      case '01':
        t.month = number(elem, true);
        if (t.month < 1 || t.month > 12) outOfRange('month');
        break;
      case '02':
        t.day = number(elem, true);
        break;
      case '15':
        t.hour = number(elem, false);
        if (t.hour > 23) outOfRange('hour');
        break;
      case '04':
        t.minute = number(elem, true);
        if (t.minute > 59) outOfRange('minute');
        break;
      case '05':
        t.second = number(elem, true);
        if (t.second > 59) outOfRange('second');
        // Go takes a fraction after the seconds even when the layout has none.
        if (elements[i + 1]?.[0] !== '.999999999') fraction();
        break;
      case '.999999999':
        fraction();
        break;
      case 'Z07:00': {
        if (rest.startsWith('Z')) {
          rest = rest.slice(1);
          t.offset = 0;
          break;
        }
        const m = /^([+-])(\d\d):(\d\d)/.exec(rest);
        if (!m) fail(rest, elem);
        const [, sign, hh, mm] = m!;
        if (Number(hh) > 24) outOfRange('time zone offset hour');
        if (Number(mm) > 60) outOfRange('time zone offset minute');
        t.offset = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm));
        rest = rest.slice(6);
        break;
      }
    }
  });
  const trailing = layout.slice(at);
  if (!rest.startsWith(trailing)) fail(rest, trailing);
  rest = rest.slice(trailing.length);
  if (rest !== '') throw new InvalidArgumentError(`parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(rest)}`);
  if (t.day < 1 || t.day > daysIn(t.month, t.year)) outOfRange('day');
  const seconds = utcSeconds(t.year, t.month, t.day, t.hour, t.minute, t.second) - t.offset * 60;
  return BigInt(seconds) * NS_PER_S + BigInt(t.nanos);
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
