import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../../util/errors.js';

/** The YAML of kube play/down: files, `-` for stdin, or http(s) URLs, joined as one multi-document stream. */
export async function readKubeInput(args: string[]): Promise<{ text: string; source: string }> {
  if (args.length === 0) throw new InvalidArgumentError('a Kubernetes YAML file is required: give a file, - for stdin, or a URL');
  const texts: string[] = [];
  for (const arg of args) {
    if (arg === '-') {
      texts.push(readFileSync(0, 'utf8'));
    } else if (/^https?:\/\//.test(arg)) {
      const res = await fetch(arg);
      if (!res.ok) throw new InvalidArgumentError(`fetching ${arg}: ${res.status} ${res.statusText}: check the URL`);
      texts.push(await res.text());
    } else {
      try {
        texts.push(readFileSync(arg, 'utf8'));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new InvalidArgumentError(`open ${arg}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}: give an existing YAML file`);
      }
    }
  }
  const source = args.length === 1 ? (args[0] === '-' ? 'stdin' : args[0]!) : args.join(', ');
  return { text: texts.join('\n---\n'), source };
}
