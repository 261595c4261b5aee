import { TspodError } from '../util/errors.js';

/**
 * The short-name prompt Podman shows when a short name could mean images in
 * several registries and both stdin and stdout are terminals: a list to move
 * through with the arrow keys (or j/k) and Enter to pick. Undefined when
 * there is no terminal to ask on.
 */
export function shortNamePrompt(): ((name: string, candidates: string[]) => Promise<string>) | undefined {
  const { stdin, stdout } = process;
  if (!stdin.isTTY || !stdout.isTTY) return undefined;
  return (_name, candidates) =>
    new Promise<string>((resolve, reject) => {
      let selected = 0;
      const draw = (redraw: boolean): void => {
        let out = redraw ? `\x1b[${candidates.length}A` : '\x1b[?25l? Please select an image: \n';
        candidates.forEach((c, i) => (out += `\r\x1b[K  ${i === selected ? '▸' : ' '} ${c}\n`));
        stdout.write(out);
      };
      const finish = (): void => {
        stdin.removeListener('data', onKey);
        stdin.removeListener('end', onEnd);
        stdin.setRawMode(false);
        stdin.pause();
        // Replace the question and the list with the answer, as promptui does.
        stdout.write(`\x1b[${candidates.length + 1}A\r\x1b[J\x1b[?25h`);
      };
      const onEnd = (): void => {
        finish();
        reject(new TspodError('short-name selection: the terminal closed before an image was chosen'));
      };
      const onKey = (key: Buffer): void => {
        const k = key.toString('latin1');
        if (k === '\x1b[A' || k === 'k') selected = (selected + candidates.length - 1) % candidates.length;
        else if (k === '\x1b[B' || k === 'j') selected = (selected + 1) % candidates.length;
        else if (k === '\r' || k === '\n') {
          finish();
          stdout.write(`✔ ${candidates[selected]}\n`);
          resolve(candidates[selected]!);
          return;
        } else if (k === '\x03' || k === '\x04') {
          finish();
          reject(new TspodError('short-name selection interrupted (^C): give a fully qualified image name instead'));
          return;
        } else return;
        draw(true);
      };
      stdin.setRawMode(true);
      stdin.on('data', onKey);
      stdin.once('end', onEnd);
      stdin.resume();
      draw(false);
    });
}
