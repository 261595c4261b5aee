/** Go's strconv.FormatFloat for 'e', 'f' and 'g', digit for digit (exact ties round to even, as Go does). */

/** Decimal digits without leading or trailing zeros; the value is 0.digits × 10^point. Zero has no digits. */
interface Decimal {
  digits: string;
  point: number;
}

/** The exact decimal value of a finite non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', point: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent = -1074;
  if (exponentBits !== 0) {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  if (exponent >= 0) return trimDecimal((mantissa << BigInt(exponent)).toString(), 0);
  const scaled = (mantissa * 5n ** BigInt(-exponent)).toString();
  return trimDecimal(scaled, exponent);
}

function trimDecimal(digits: string, exponent10: number): Decimal {
  const point = digits.length + exponent10;
  return { digits: digits.replace(/0+$/, ''), point };
}

/** The shortest digits that read back as x, which Go and JS both produce. */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', point: 0 };
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  return { digits: mantissa.replace('.', '').replace(/0+$/, ''), point: Number(exponent) + 1 };
}

/** Rounds to `keep` digits, halves to even as Go's strconv does on exact ties. */
function roundDecimal(d: Decimal, keep: number): Decimal {
  if (keep >= d.digits.length) return d;
  if (keep < 0) return { digits: '', point: d.point };
  const next = d.digits[keep]!;
  const roundUp = next > '5' || (next === '5' && (keep + 1 < d.digits.length || (keep > 0 && Number(d.digits[keep - 1]) % 2 === 1)));
  const kept = d.digits.slice(0, keep);
  if (!roundUp) return { digits: kept.replace(/0+$/, ''), point: d.point };
  let i = kept.length - 1;
  while (i >= 0 && kept[i] === '9') i--;
  if (i < 0) return { digits: '1', point: d.point + 1 };
  return { digits: kept.slice(0, i) + String(Number(kept[i]) + 1), point: d.point };
}

function digitAt(d: Decimal, i: number): string {
  return d.digits[i] ?? '0';
}

function fixedNotation(d: Decimal, fractionDigits: number): string {
  let integer = '';
  for (let i = 0; i < d.point; i++) integer += digitAt(d, i);
  let fraction = '';
  for (let i = 0; i < fractionDigits; i++) fraction += d.point + i < 0 ? '0' : digitAt(d, d.point + i);
  return (integer || '0') + (fractionDigits > 0 ? `.${fraction}` : '');
}

function exponentNotation(d: Decimal, fractionDigits: number): string {
  let fraction = '';
  for (let i = 1; i <= fractionDigits; i++) fraction += digitAt(d, i);
  const exponent = d.digits ? d.point - 1 : 0;
  const magnitude = String(Math.abs(exponent)).padStart(2, '0');
  return `${digitAt(d, 0)}${fractionDigits > 0 ? `.${fraction}` : ''}e${exponent < 0 ? '-' : '+'}${magnitude}`;
}

/** strconv.FormatFloat of a non-negative finite x in 'e', 'f' or 'g' format; precision -1 is the shortest. */
export function formatGoFloat(x: number, format: 'e' | 'f' | 'g', precision: number): string {
  const shortest = precision < 0;
  if (format === 'f') {
    if (shortest) {
      const d = shortestDecimal(x);
      return fixedNotation(d, Math.max(d.digits.length - d.point, 0));
    }
    const exact = exactDecimal(x);
    return fixedNotation(roundDecimal(exact, exact.point + precision), precision);
  }
  if (format === 'e') {
    if (shortest) {
      const d = shortestDecimal(x);
      return exponentNotation(d, Math.max(d.digits.length - 1, 0));
    }
    return exponentNotation(roundDecimal(exactDecimal(x), precision + 1), precision);
  }
  const digitsWanted = shortest ? -1 : Math.max(precision, 1);
  const d = shortest ? shortestDecimal(x) : roundDecimal(exactDecimal(x), digitsWanted);
  let exponentLimit = shortest ? 6 : digitsWanted;
  if (!shortest && exponentLimit > d.digits.length && d.digits.length >= d.point) exponentLimit = d.digits.length;
  const exponent = d.point - 1;
  if (exponent < -4 || exponent >= exponentLimit) return exponentNotation(d, Math.max(d.digits.length - 1, 0));
  return fixedNotation(d, Math.max(d.digits.length - d.point, 0));
}
