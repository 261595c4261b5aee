/** A build run by the service: the context up as a tar body, the output down as Podman's JSON lines. */
import type { Writable } from 'node:stream';
import type { RemoteBuildOptions } from '../engine/types.js';
import { BUILD_CONTAINERFILE_ENTRY, buildQuery } from '../api/libpod/reports.js';
import { packContext } from './contextTar.js';
import { errorOf, jsonLinesOf, readAll, type Transport } from './transport.js';
import { streamError } from './images.js';

export async function remoteBuild(t: Transport, context: { dir: string; containerfile: string }, opts: RemoteBuildOptions, output: { stdout: Writable; stderr: Writable }): Promise<{ id: string }> {
  const body = packContext(context.dir, { name: BUILD_CONTAINERFILE_ENTRY, content: context.containerfile });
  const res = await t.send('POST', '/build', { query: buildQuery(opts), body, raw: true });
  if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
  let id: string | undefined;
  for await (const { value } of jsonLinesOf(res)) {
    if (typeof value.stream === 'string') {
      output.stdout.write(value.stream);
      // As Podman's client: the image id is the stream's line that is only an id.
      if (/^[0-9a-f]{64}\n?$/.test(value.stream)) id = value.stream.trim();
    } else if (typeof value.stderr === 'string') output.stderr.write(value.stderr);
    else if (typeof value.error === 'string') throw streamError(value);
  }
  if (!id) throw new Error('build: the service ended the stream without the image id');
  return { id };
}
