/**
 * `container checkpoint` / `container restore`: CRIU through the OCI runtime
 * (runc checkpoint; conmon --restore runs runc restore). The image lives in
 * the container's userdata dir until it is restored; --export writes it with
 * the container's config and writable layer into a tar that --import reads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ContainerRuntime } from './containerRuntime.js';
import type { ContainerConfig } from './containerRecord.js';
import type { ContainerSpec } from '../spec/containerSpec.js';
import type { CheckpointOptions, RestoreOptions } from '../types.js';
import { ContainerStateError, InvalidArgumentError, TspodError } from '../../util/errors.js';
import { nowRfc3339Nano } from '../../util/time.js';
import { containerEvent } from './events.js';

const CONFIG_DUMP = 'config.dump';
const IMAGE_DIR = 'checkpoint';
const ROOTFS_DIFF = 'rootfs-diff';

export class ContainerCheckpoints {
  constructor(
    private readonly lifecycle: ContainerRuntime,
    private readonly createContainer: (spec: ContainerSpec) => Promise<{ id: string }>,
  ) {}

  private imageDir(id: string): string {
    return join(this.lifecycle.layers.userdata(id), IMAGE_DIR);
  }

  async checkpoint(id: string, opts: CheckpointOptions): Promise<void> {
    const lc = this.lifecycle;
    const config = await lc.withLockAsync(id, async () => {
      const record = lc.syncLocked(id);
      const name = record.config.name;
      if (record.state.status !== 'running') throw new ContainerStateError(`container ${name} is not running: only a running container can be checkpointed`);
      const imageDir = this.imageDir(id);
      rmSync(imageDir, { recursive: true, force: true });
      mkdirSync(imageDir, { recursive: true, mode: 0o700 });
      // Marked first: once CRIU has dumped the process it ends, and conmon's exit
      // command must neither remove (--rm) nor restart the container.
      if (!opts.leaveRunning) lc.db.updateState(id, (s) => ({ ...s, checkpointed: true, checkpointedAt: nowRfc3339Nano() }));
      const flags = [...(opts.leaveRunning ? ['--leave-running'] : []), ...(opts.tcpEstablished ? ['--tcp-established'] : []), ...(opts.fileLocks ? ['--file-locks'] : [])];
      try {
        lc.ociFor(record.config).checkpoint(id, imageDir, lc.bundleDir(id), flags);
      } catch (e) {
        lc.db.updateState(id, (s) => ({ ...s, checkpointed: false, checkpointedAt: undefined }));
        rmSync(imageDir, { recursive: true, force: true });
        const reason = (e as Error).message.replace(/\\n/g, '; ');
        throw new TspodError(`checkpoint of container ${name} failed: ${reason}${criuCheck()}: the container keeps running; CRIU must work on this kernel (see \`criu check\`)`);
      }
      if (!opts.leaveRunning) {
        await lc.waitForExit(lc.db.get(id) ?? record, 10_000);
        lc.syncLocked(id);
      }
      containerEvent(lc.runtime, record, 'checkpoint');
      return record.config;
    });
    if (opts.export) this.exportArchive(config, opts.export);
  }

  private exportArchive(config: ContainerConfig, file: string): void {
    const id = config.id;
    const work = join(this.lifecycle.layers.userdata(id), 'export');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(join(work, CONFIG_DUMP), JSON.stringify(config));
      const upper = this.lifecycle.layers.upperDir(id);
      const r = spawnSync(
        'tar',
        ['--xattrs', '--numeric-owner', '-cf', file, '-C', work, CONFIG_DUMP, '-C', dirname(this.imageDir(id)), IMAGE_DIR, '-C', dirname(upper), `--transform=s,^${basename(upper)},${ROOTFS_DIFF},`, basename(upper)],
        { encoding: 'utf8' },
      );
      if (r.error || r.status !== 0) throw new TspodError(`cannot write the checkpoint archive ${file}: ${r.error?.message ?? r.stderr.trim()}: check the path and free space`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  async restore(id: string, opts: RestoreOptions): Promise<void> {
    const lc = this.lifecycle;
    const record = lc.db.require(id);
    if (!record.state.checkpointed || !existsSync(this.imageDir(record.config.id))) {
      throw new ContainerStateError(`container ${record.config.name} has no checkpoint to restore: checkpoint it first (tspod container checkpoint)`);
    }
    const runtimeOpts = [...(opts.tcpEstablished ? ['--tcp-established'] : []), ...(opts.fileLocks ? ['--file-locks'] : [])];
    try {
      await lc.restoreFromCheckpoint(record.config.id, this.imageDir(record.config.id), runtimeOpts);
    } catch (e) {
      throw new TspodError(`restore of container ${record.config.name} failed: ${(e as Error).message}: its checkpoint is kept, try again once CRIU works (see \`criu check\`)`);
    }
    containerEvent(lc.runtime, record, 'restore');
    if (!opts.keep) rmSync(this.imageDir(record.config.id), { recursive: true, force: true });
  }

  /** restore --import: a new container from an exported checkpoint, then its restore. Resolves with its id. */
  async importAndRestore(file: string, opts: RestoreOptions & { name?: string }): Promise<string> {
    if (!existsSync(file)) throw new InvalidArgumentError(`checkpoint archive ${file} does not exist: give the file written by checkpoint --export`);
    const store = this.lifecycle.runtime.store;
    const staging = store.makeStagingDir();
    try {
      // GNU tar keeps members inside the target (no absolute names, no `..`, links made last).
      const r = spawnSync('tar', ['--xattrs', '--numeric-owner', '-xf', file, '-C', staging], { encoding: 'utf8' });
      if (r.error || r.status !== 0) throw new InvalidArgumentError(`cannot read checkpoint archive ${file}: ${r.error?.message ?? r.stderr.trim().split('\n')[0]}: give a file written by checkpoint --export`);
      let config: ContainerConfig;
      try {
        config = JSON.parse(readFileSync(join(staging, CONFIG_DUMP), 'utf8')) as ContainerConfig;
        if (!config.spec?.image) throw new Error('no image');
      } catch {
        throw new InvalidArgumentError(`${file} is not a checkpoint archive (no readable ${CONFIG_DUMP}): give a file written by checkpoint --export`);
      }
      if (!existsSync(join(staging, IMAGE_DIR))) throw new InvalidArgumentError(`${file} holds no checkpoint image: give a file written by checkpoint --export`);
      const spec: ContainerSpec = { ...config.spec, name: opts.name ?? config.name, image: config.imageId ?? config.spec.image, pull: 'never', remove: false };
      const { id } = await this.createContainer(spec);
      try {
        await this.placeImported(id, staging, opts);
      } catch (e) {
        await this.lifecycle.remove(id, { force: true }).catch(() => undefined);
        throw e;
      }
      return id;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  private async placeImported(id: string, staging: string, opts: RestoreOptions): Promise<void> {
      const lc = this.lifecycle;
      const upper = lc.layers.upperDir(id);
      const copy = spawnSync('cp', ['-a', `${join(staging, ROOTFS_DIFF)}/.`, upper], { encoding: 'utf8' });
      if (copy.status !== 0) throw new TspodError(`cannot restore the writable layer of the checkpoint: ${copy.stderr.trim()}`);
      rmSync(this.imageDir(id), { recursive: true, force: true });
      mkdirSync(lc.layers.userdata(id), { recursive: true });
      const move = spawnSync('mv', [join(staging, IMAGE_DIR), this.imageDir(id)], { encoding: 'utf8' });
      if (move.status !== 0) throw new TspodError(`cannot place the checkpoint image: ${move.stderr.trim()}`);
      lc.db.updateState(id, (s) => ({ ...s, checkpointed: true }));
      await this.restore(id, opts);
  }
}

/** What `criu check` says is wrong, as a clause for an error message ('' when it passes or is missing). */
function criuCheck(): string {
  const r = spawnSync('criu', ['check'], { encoding: 'utf8' });
  if (r.error || r.status === 0) return '';
  const errors = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /Error/.test(l));
  const last = errors[errors.length - 1]?.replace(/^Error \([^)]*\):\s*/, '');
  return last ? ` (criu check: ${last})` : '';
}
