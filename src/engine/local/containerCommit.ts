import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { applyChanges } from '../../image/changes.js';
import { buildManifest } from '../../image/manifest.js';
import type { ContainerConfig as ImageContainerConfig, HistoryEntry, ImageConfig } from '../../image/oci.js';
import type { StagedLayer } from '../../storage/store.js';
import { TspodError } from '../../util/errors.js';
import type { ContainerCommitOptions } from '../types.js';
import { excludedPaths } from './containerFileOps.js';
import type { ContainerRuntime } from './containerRuntime.js';
import { storageName } from './imageLookup.js';
import { containerEvent } from './events.js';

/**
 * commit: a new image of the container's image layers plus one layer of its
 * changes (its overlay upper dir), with the container's process settings as
 * the config, then --change applied.
 */
export async function commitContainer(rt: ContainerRuntime, nameOrId: string, opts: ContainerCommitOptions): Promise<{ id: string; layers: string[] }> {
  const store = rt.runtime.store;
  const first = rt.db.require(nameOrId);
  const id = first.config.id;
  const pause = opts.pause === true && rt.observe(first).state.status === 'running';
  if (pause) await rt.pause(id);
  try {
    const { packLayer } = await import('../../storage/layerDiff.js');
    return await rt.withLockAsync(id, async () => {
      const record = rt.db.require(id);
      const image = store.getImage(record.config.imageId);
      if (!image) throw new TspodError(`image ${record.config.imageId} of container ${record.config.name} is gone from storage: remove the container`);
      let base: ImageConfig;
      try {
        base = JSON.parse(image.config.toString('utf8')) as ImageConfig;
      } catch {
        throw new TspodError(`image ${image.id.slice(0, 12)} has a damaged config in storage: remove it and pull it again`);
      }
      const settings = opts.imageConfig ?? containerSettings(base.config ?? {}, record);
      if (opts.includeVolumes) {
        const volumes = { ...(settings.Volumes ?? {}) };
        for (const m of record.config.spec.mounts ?? []) if (m.type === 'volume') volumes[m.destination] = {};
        settings.Volumes = volumes;
      }
      const changes = opts.imageConfig ? settings : applyChanges(settings, opts.changes ?? []);
      store.cleanLeftovers();
      // --squash-all (build): the whole root filesystem as the only layer.
      let source;
      let baseChain: import('../../storage/store.js').LayerRecord[] | undefined;
      if (opts.squashSince !== undefined) {
        // build --squash: the layers above the stage's base and the container's changes, as one.
        const since = opts.squashSince ? store.getImage(opts.squashSince) : undefined;
        if (opts.squashSince && !since) throw new TspodError(`image ${opts.squashSince.slice(0, 12)} was removed during the build: build again`);
        const chain = store.layerChain(image.topLayer);
        baseChain = since ? store.layerChain(since.topLayer) : [];
        if (baseChain.some((l, i) => chain[i]?.id !== l.id)) throw new TspodError('the image to squash does not sit on its base image: build again without --squash');
        const { packSquashed } = await import('../../storage/layerDiff.js');
        source = packSquashed([
          ...chain.slice(baseChain.length).map((l) => ({ dir: store.layerDiffDir(l.id), exclude: new Set<string>() })),
          { dir: rt.layers.upperDir(id), exclude: excludedPaths(record) },
        ]);
      } else if (opts.squashAll) {
        const { packTree } = await import('./containerCopy.js');
        const { mountRootfs } = await import('./containerFs.js');
        source = packTree(mountRootfs(rt, record), { rootName: '' });
      } else {
        source = packLayer(rt.layers.upperDir(id), { exclude: excludedPaths(record) });
      }
      const layer = await store.extractLayer(source);
      try {
        const chain = opts.squashAll ? [] : baseChain ?? store.layerChain(image.topLayer);
        const baseLayers: StagedLayer[] = chain.map((l) => ({
          dir: join(layer.dir, 'unused-base'),
          diffId: l.diffId,
          compressedDigest: l.compressedDigest,
          tarSize: l.tarSize,
          contentSize: l.contentSize,
        }));
        const created = new Date().toISOString();
        const history: HistoryEntry[] = [
          ...(base.history ?? []).map((h, i) => (opts.squashAll || (baseChain && i >= squashedFrom(base, baseChain.length)) ? { ...h, empty_layer: true } : h)),
          {
            created,
            created_by: opts.createdBy ?? '/bin/sh',
            ...(opts.author ? { author: opts.author } : {}),
            ...(opts.createdBy ? {} : { comment: `FROM ${record.config.imageName}` }),
          },
        ];
        const config: ImageConfig = {
          ...base,
          created,
          ...(opts.author ? { author: opts.author } : { author: undefined }),
          config: changes,
          rootfs: { type: 'layers', diff_ids: [...chain.map((l) => l.diffId), layer.diffId] },
          history,
          ...(opts.message ? { comment: opts.message } : {}),
        };
        if (config.author === undefined) delete config.author;
        const configBytes = Buffer.from(JSON.stringify(config));
        const layers = [...baseLayers, layer];
        const manifest = buildManifest(opts.format ?? 'oci', configBytes, layers, opts.annotations);
        const result = store.createImage({
          config: configBytes,
          manifest: manifest.bytes,
          manifestDigest: manifest.digest,
          created: Date.parse(created),
          names: opts.reference ? [storageName(opts.reference)] : [],
          layers,
        });
        if (!opts.createdBy) containerEvent(rt.runtime, record, 'commit');
        return { id: result.id, layers: layers.map((l) => l.diffId) };
      } finally {
        rmSync(layer.dir, { recursive: true, force: true });
      }
    });
  } finally {
    if (pause) await rt.unpause(id);
  }
}

/** The index of the first history entry above the first `layers` non-empty ones. */
function squashedFrom(config: ImageConfig, layers: number): number {
  const history = config.history ?? [];
  let seen = 0;
  for (let i = 0; i < history.length; i++) {
    if (seen === layers) return i;
    if (!history[i]!.empty_layer) seen++;
  }
  return history.length;
}

/** The image config with the container's own command, environment, user, workdir and labels. */
function containerSettings(base: ImageContainerConfig, record: import('./containerRecord.js').ContainerRecord): ImageContainerConfig {
  const p = record.config.process;
  const env = p.env.filter((e) => !e.startsWith('HOSTNAME='));
  const labels = { ...(base.Labels ?? {}), ...(record.config.spec.labels ?? {}) };
  return {
    ...base,
    Env: env,
    Entrypoint: p.entrypoint.length ? p.entrypoint : base.Entrypoint,
    Cmd: p.command.length ? p.command : base.Cmd,
    ...(p.cwd ? { WorkingDir: p.cwd } : {}),
    ...(p.user ? { User: p.user } : {}),
    ...(Object.keys(labels).length ? { Labels: labels } : {}),
  };
}
