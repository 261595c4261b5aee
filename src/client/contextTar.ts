/**
 * A build context directory as the tar stream a remote build sends: every
 * file, directory and symlink under it (the service applies the ignore file),
 * plus the Containerfile's text in its own entry.
 */
import { lstatSync, readdirSync, readlinkSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';

export function packContext(root: string, extra: { name: string; content: string }): Readable {
  const pack = tarStream.pack();
  const walk = async (rel: string): Promise<void> => {
    const names = readdirSync(join(root, rel)).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const host = join(root, path);
      const st = lstatSync(host);
      const header = { name: path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        pack.entry({ ...header, type: 'directory' });
        await walk(path);
      } else if (st.isSymbolicLink()) {
        pack.entry({ ...header, type: 'symlink', linkname: readlinkSync(host) });
      } else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...header, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(host).on('error', reject).pipe(entry);
        });
      }
    }
  };
  walk('')
    .then(() => {
      pack.entry({ name: extra.name, mode: 0o644, mtime: new Date(0) }, extra.content);
      pack.finalize();
    })
    .catch((err: Error) => pack.destroy(err));
  return Readable.from(pack) as Readable;
}
