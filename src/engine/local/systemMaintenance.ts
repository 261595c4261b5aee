/**
 * `system df`, `system prune`, `system reset`, `system migrate` and `system
 * check`: the commands that look at (or clear) everything at once, built on
 * the other engine groups so each resource keeps its own removal rules.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../runtime.js';
import type {
  ContainersEngine,
  ImagesEngine,
  NetworksEngine,
  PodsEngine,
  SecretsEngine,
  SystemCheckOptions,
  SystemCheckReport,
  SystemDfReport,
  SystemPruneOptions,
  SystemPruneReport,
  VolumesEngine,
} from '../types.js';
import type { ContainerRecord } from './containerRecord.js';
import { isProcessAlive } from '../../util/process.js';
import { safeReaddir } from '../../storage/store.js';
import { resolveRuntimePath } from '../oci/ociRuntime.js';
import { inRootlessUserNamespace } from '../../util/rootless.js';

/** The engine groups system-wide commands work through. */
export interface SystemPeers {
  containers: ContainersEngine;
  images: ImagesEngine;
  pods: PodsEngine;
  networks: NetworksEngine;
  volumes: VolumesEngine;
  secrets: SecretsEngine;
  /** Container records (config and state) straight from the state DB. */
  containerRecords: () => ContainerRecord[];
  /** A container's writable layer dir (existing or not). */
  containerLayerDir: (id: string) => string;
  /** Ids with container storage, a bundle or runtime state but no record (an interrupted create or rm). */
  orphanedContainers: () => string[];
  /** Removes an orphan's storage; false when a live command holds it (a create in progress). */
  removeOrphanedContainer: (id: string) => boolean;
  /** Changes a container's configured OCI runtime. */
  setContainerRuntime: (id: string, runtime: string) => void;
}

export class SystemMaintenance {
  constructor(
    private readonly runtime: Runtime,
    private readonly peers: SystemPeers,
  ) {}

  async df(): Promise<SystemDfReport> {
    const { containers, images, volumes } = this.peers;
    const store = this.runtime.store;
    const imageList = store.exists() ? await images.list({}) : [];
    const containerList = store.exists() ? await containers.list({ all: true, size: true }) : [];
    const volumeUsage = store.exists() ? await volumes.usage() : [];
    const layersSize = store.exists() ? ((store.db.prepare('SELECT COALESCE(SUM(tar_size), 0) AS n FROM layers').get() as { n: number }).n) : 0;
    const volumesOf = new Map(store.exists() ? this.peers.containerRecords().map((r) => [r.config.id, (r.config.spec.mounts ?? []).filter((m) => m.type === 'volume').length]) : []);
    // Reclaimable: the layers no image in use by a container needs (shared layers counted once).
    const usedLayers = new Set<string>();
    for (const image of imageList.filter((i) => i.Containers > 0)) {
      const top = store.getImage(image.Id)?.topLayer;
      if (top) for (const layer of store.layerChain(top)) usedLayers.add(layer.id);
    }
    const usedSize = store.exists() ? [...usedLayers].reduce((n, id) => n + (store.getLayer(id)?.tarSize ?? 0), 0) : 0;
    return {
      imagesSize: layersSize,
      imagesReclaimable: Math.max(0, layersSize - usedSize),
      images: imageList.map((i) => {
        const [repository, tag] = splitRepoTag(i.RepoTags[0]);
        return {
          id: i.Id,
          repository,
          tag,
          created: i.Created,
          size: i.Size,
          sharedSize: i.SharedSize,
          uniqueSize: i.Size - i.SharedSize,
          containers: i.Containers,
        };
      }),
      containers: containerList.map((c) => ({
        id: c.Id,
        image: c.ImageID,
        command: (c.Command ?? []).join(' '),
        localVolumes: volumesOf.get(c.Id) ?? 0,
        size: c.Size?.rwSize ?? 0,
        created: c.Created,
        status: c.State,
        names: c.Names.join(','),
        running: c.State === 'running' || c.State === 'paused',
      })),
      volumes: volumeUsage.map((v) => ({ name: v.name, links: v.containers, size: v.size })),
    };
  }

  async prune(opts: SystemPruneOptions): Promise<SystemPruneReport> {
    const { containers, images, pods, networks, volumes } = this.peers;
    const report: SystemPruneReport = { pods: [], containers: [], volumes: [], networks: [], images: [], reclaimed: 0, errors: [] };
    if (!this.runtime.store.exists()) return report;
    const filters = opts.filters ?? [];
    for (const p of await pods.prune()) {
      if (p.error) report.errors.push(p.error.message);
      else report.pods.push(p.id ?? p.name);
    }
    for (const c of await containers.prune({ filters })) {
      if (c.error) report.errors.push(c.error.message);
      else {
        report.containers.push(c.id);
        report.reclaimed += c.size;
      }
    }
    if (opts.volumes) {
      // Volume prune knows label filters only; `until` applies to containers and images.
      const volumeFilters = filters.filter((f) => f.startsWith('label'));
      for (const v of await volumes.prune({ filters: volumeFilters })) {
        report.volumes.push(v.name);
        report.reclaimed += v.size;
      }
    }
    report.networks.push(...(await networks.prune({ filters })));
    for (const i of await images.prune({ all: opts.all, filters })) {
      report.images.push(i.id);
      report.reclaimed += i.size;
    }
    return report;
  }

  async reset(): Promise<void> {
    const { containers, images, pods, networks, volumes, secrets } = this.peers;
    const store = this.runtime.store;
    if (store.exists()) {
      await pods.remove([], { all: true, force: true, timeout: 0 });
      const all = await containers.list({ all: true });
      const removed = await containers.remove(all.map((c) => c.Id), { force: true, volumes: true, timeout: 0, ignore: true });
      const failed = removed.filter((r) => r.error);
      if (failed.length) throw failed[0]!.error!;
      await volumes.remove([], { all: true, force: true });
      await secrets.remove([], { all: true, ignore: true });
      await images.remove([], { all: true, force: true });
    }
    for (const network of await networks.list()) {
      if (network.name === this.runtime.containersConf.network.defaultNetwork) continue;
      await networks.remove([network.name], { force: true });
    }
    await networks.prune();
    this.runtime.close();
    // Only what tspod made: its own dirs below the roots, never the roots themselves
    // (they may be shared with Podman, or be a directory the user gave with --root).
    const graphRoot = store.options.graphRoot;
    rmSync(store.base, { recursive: true, force: true });
    rmSync(store.runBase, { recursive: true, force: true });
    rmSync(join(graphRoot, 'secrets', 'tspod-data'), { recursive: true, force: true });
    removeIfEmpty(join(graphRoot, 'secrets'));
    removeIfEmpty(join(graphRoot, 'volumes'));
  }

  /**
   * With --new-runtime, containers get another OCI runtime. Rootless, the
   * pause process goes too (after the containers, which live in its user
   * namespace), so the next call maps the namespace from /etc/subuid and
   * /etc/subgid afresh.
   */
  async migrate(opts: { newRuntime?: string }): Promise<void> {
    const rootless = inRootlessUserNamespace();
    if (opts.newRuntime) resolveRuntimePath(opts.newRuntime, this.runtime.containersConf.engine.runtimes);
    if (this.runtime.store.exists() && (opts.newRuntime || rootless)) {
      // A running container's state lives in its old runtime's state dir.
      await this.peers.containers.stop([], { all: true });
      if (opts.newRuntime) for (const record of this.peers.containerRecords()) this.peers.setContainerRuntime(record.config.id, opts.newRuntime);
    }
    if (rootless) {
      const { currentRootlessUser } = await import('../../rootless/enter.js');
      const { stopPauseProcess } = await import('../../rootless/pause.js');
      stopPauseProcess(currentRootlessUser().runtimeDir);
    }
  }

  async check(opts: SystemCheckOptions): Promise<SystemCheckReport> {
    const problems: SystemCheckReport['problems'] = [];
    const store = this.runtime.store;
    if (!store.exists()) return { problems };
    const db = store.db;

    for (const entry of safeReaddir(join(store.base, 'tmp'))) {
      const pid = Number(entry.split('-')[0]);
      if (!isProcessAlive(pid)) problems.push({ what: `staging directory ${entry} left by an interrupted command`, repaired: false });
    }
    for (const entry of safeReaddir(join(store.base, 'trash'))) problems.push({ what: `removed layer ${entry} not yet deleted`, repaired: false });

    const layerIds = new Set((db.prepare('SELECT id FROM layers').all() as Array<{ id: string }>).map((r) => r.id));
    for (const entry of safeReaddir(join(store.base, store.driver))) {
      if (!layerIds.has(entry)) problems.push({ what: `layer directory ${shortId(entry)} has no layer record`, repaired: false });
    }
    const missingLayers = new Set<string>();
    for (const id of layerIds) {
      if (!existsSync(store.layerDiffDir(id))) {
        missingLayers.add(id);
        problems.push({ what: `layer ${shortId(id)}: its directory is missing`, repaired: false });
      }
    }
    if (!opts.quick) {
      for (const id of layerIds) {
        if (!missingLayers.has(id) && !existsSync(store.layerTarSplit(id))) problems.push({ what: `layer ${shortId(id)}: its tar-split is missing (save and push cannot rebuild it)`, repaired: false });
      }
    }
    const damagedImages: string[] = [];
    for (const image of store.listImages()) {
      const chain = image.topLayer ? store.layerChain(image.topLayer) : [];
      const broken = (image.topLayer && chain.length === 0) || chain.some((l) => missingLayers.has(l.id));
      if (broken) {
        damagedImages.push(image.id);
        problems.push({ what: `image ${shortId(image.id)}: one of its layers is damaged`, repaired: false });
      }
    }
    const damagedContainers: string[] = [];
    for (const record of this.peers.containerRecords()) {
      if (!existsSync(this.peers.containerLayerDir(record.config.id))) {
        damagedContainers.push(record.config.id);
        problems.push({ what: `container ${shortId(record.config.id)} (${record.config.name}): its writable layer is missing`, repaired: false });
      }
    }
    const orphans = this.peers.orphanedContainers();
    for (const id of orphans) problems.push({ what: `container ${shortId(id)}: storage without a container record, left by an interrupted create or rm`, repaired: false });

    if (opts.repair) {
      // The same sweep every pull runs: staging dirs of dead processes, trash, orphaned layer dirs.
      store.cleanLeftovers();
      for (const p of problems) {
        if (/^staging directory|^removed layer|^layer directory/.test(p.what)) p.repaired = true;
      }
      for (const id of orphans) {
        if (this.peers.removeOrphanedContainer(id)) markRepaired(problems, shortId(id));
      }
      if (opts.force && damagedContainers.length) {
        const results = await this.peers.containers.remove(damagedContainers, { force: true, ignore: true, timeout: 0 });
        for (const r of results) {
          if (!r.error) markRepaired(problems, shortId(r.id ?? r.name));
        }
      }
      if (damagedImages.length) {
        const result = await this.peers.images.remove(damagedImages, { force: opts.force });
        for (const id of result.deleted) markRepaired(problems, shortId(id));
      }
      for (const id of missingLayers) {
        const still = db.prepare('SELECT 1 FROM layers WHERE id = ?').get(id);
        if (!still) markRepaired(problems, shortId(id));
      }
    }
    return { problems };
  }
}

function markRepaired(problems: SystemCheckReport['problems'], id: string): void {
  for (const p of problems) if (p.what.includes(id)) p.repaired = true;
}

function splitRepoTag(repoTag: string | undefined): [string, string] {
  if (!repoTag) return ['<none>', '<none>'];
  const at = repoTag.lastIndexOf(':');
  if (at > repoTag.lastIndexOf('/')) return [repoTag.slice(0, at), repoTag.slice(at + 1)];
  return [repoTag, '<none>'];
}

function shortId(id: string): string {
  return id.slice(0, 12);
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  } catch {
    // absent
  }
}
