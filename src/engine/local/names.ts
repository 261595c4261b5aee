import { randomInt } from 'node:crypto';

/**
 * Random container names in the adjective_surname style Docker and podman
 * users know, from tspod's own lists (surnames of scientists and engineers).
 */
const ADJECTIVES = [
  'agile', 'amazing', 'bold', 'brave', 'bright', 'busy', 'calm', 'careful', 'charming', 'cheerful', 'clever', 'cool',
  'crisp', 'curious', 'daring', 'dazzling', 'determined', 'eager', 'earnest', 'elastic', 'elegant', 'epic', 'fair',
  'fast', 'fervent', 'fond', 'friendly', 'gallant', 'gentle', 'gifted', 'glad', 'graceful', 'happy', 'hardy', 'helpful',
  'honest', 'hopeful', 'humble', 'jolly', 'jovial', 'keen', 'kind', 'lively', 'loyal', 'lucid', 'lucky', 'merry',
  'mighty', 'modest', 'neat', 'nifty', 'nimble', 'noble', 'patient', 'peaceful', 'plucky', 'polite', 'proud', 'quick',
  'quiet', 'radiant', 'rapid', 'ready', 'relaxed', 'serene', 'sharp', 'sincere', 'smart', 'snappy', 'solid', 'spry',
  'steady', 'stoic', 'sunny', 'swift', 'tender', 'tidy', 'trusty', 'upbeat', 'valiant', 'vibrant', 'vivid', 'warm',
  'wise', 'witty', 'zealous', 'zen',
];

const SURNAMES = [
  'agnesi', 'archimedes', 'babbage', 'banach', 'bardeen', 'bell', 'bohr', 'boole', 'bose', 'brahe', 'cantor',
  'carson', 'cerf', 'chandrasekhar', 'clarke', 'codd', 'copernicus', 'cray', 'curie', 'darwin', 'dijkstra', 'dirac',
  'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'germain', 'goldberg',
  'goodall', 'hamilton', 'hawking', 'heisenberg', 'hertz', 'hilbert', 'hodgkin', 'hopper', 'hubble', 'huygens',
  'hypatia', 'johnson', 'joule', 'kepler', 'khorana', 'knuth', 'kowalevski', 'lamarr', 'lamport', 'laplace',
  'leakey', 'leibniz', 'liskov', 'lovelace', 'lumiere', 'maxwell', 'mayer', 'meitner', 'mendel', 'mirzakhani',
  'morse', 'napier', 'newton', 'nobel', 'noether', 'ohm', 'pascal', 'pasteur', 'planck', 'poincare', 'ramanujan',
  'ritchie', 'rubin', 'sagan', 'shannon', 'somerville', 'stallman', 'swanson', 'tesla', 'thompson', 'torvalds',
  'turing', 'volta', 'wiles', 'wing', 'wozniak', 'wu', 'yalow', 'yonath',
];

export function randomContainerName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
}
