import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { ImagesEngine } from '../types.js';
import { VERSION } from '../../version.js';
import { TspodError } from '../../util/errors.js';

/** The pause image infra containers run, built here from Debian's (static) catatonit: no registry needed. */
export const INFRA_IMAGE = `localhost/tspod-pause:${VERSION}`;

export function findCatatonit(helperDirs: string[], initPath?: string): string {
  const candidates = [...(initPath ? [initPath] : []), ...helperDirs.map((d) => join(d, 'catatonit')), '/usr/libexec/podman/catatonit', '/usr/bin/catatonit'];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new TspodError('pods and --init need catatonit: install the Debian package "catatonit"');
  return found;
}

/** Builds the infra image unless it is in storage; returns its name. */
export async function ensureInfraImage(images: ImagesEngine, catatonit: string): Promise<string> {
  if (await images.exists(INFRA_IMAGE)) return INFRA_IMAGE;
  const binary = readFileSync(catatonit);
  const pack = tarStream.pack();
  // A fixed mtime keeps the layer's digest the same on every machine with the same catatonit.
  pack.entry({ name: 'catatonit', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: binary.length }, binary);
  pack.finalize();
  await images.import({
    input: Readable.from(pack),
    reference: INFRA_IMAGE,
    changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ENTRYPOINT ["/catatonit", "-P"]'],
    message: 'tspod infra image: catatonit -P',
  });
  return INFRA_IMAGE;
}
