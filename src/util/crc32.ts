/**
 * The CRC-32 (gzip's, reflected polynomial 0xEDB88320) of two byte strings
 * one after the other, from the CRC-32 of each and the length of the second,
 * without their bytes: the CRC of the first is multiplied by x^(8 * length)
 * modulo the polynomial, and the second's added. zlib has this as
 * crc32_combine; Node does not expose it.
 */
const POLYNOMIAL = 0xedb88320;

/** a * b modulo the polynomial, in the reflected bit order (bit 31 is x^0). */
function multiplyModPolynomial(a: number, b: number): number {
  let product = 0;
  let factor = b >>> 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= factor;
    factor = factor & 1 ? (factor >>> 1) ^ POLYNOMIAL : factor >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..63: squares of x, one after another. */
const X_POWERS_OF_TWO: number[] = [];
for (let k = 0, power = 0x40000000; k < 64; k++) {
  X_POWERS_OF_TWO.push(power);
  power = multiplyModPolynomial(power, power);
}

/** x^(8 * bytes) modulo the polynomial: one factor per set bit of the bit count. */
function shiftByBytes(bytes: number): number {
  let result = 0x80000000;
  let bits = bytes;
  // 8 bits a byte: start at x^(2^3).
  for (let k = 3; bits > 0; k++, bits = Math.floor(bits / 2)) {
    if (bits % 2 === 1) result = multiplyModPolynomial(X_POWERS_OF_TWO[k]!, result);
  }
  return result;
}

/** CRC-32 of A followed by B, given crc32(A), crc32(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModPolynomial(shiftByBytes(lengthB), crcA) ^ crcB) >>> 0;
}
