import { PassThrough, Writable, type Readable } from 'node:stream';
import type { RegistriesConf } from '../../config/registriesConf.js';
import { isBlocked, isInsecure } from '../../config/registriesConf.js';
import type { ImagePushOptions } from '../../engine/types.js';
import type { ImageRecord, LayerRecord, Store } from '../../storage/store.js';
import { InvalidArgumentError, TspodError, errorMessage } from '../../util/errors.js';
import { digestHex } from '../oci.js';
import { parseReference, type ImageReference } from '../reference.js';
import { credentialsFor } from './authFile.js';
import { RegistryClient, RegistryError, readText } from './client.js';
import {
  compressionOfMediaType,
  mapBounded,
  pushManifest,
  sourceKind,
  storedManifest,
  writeLayerBlob,
  type LayerCompression,
  type ManifestKind,
  type PushedBlob,
} from './pushLayers.js';
import { trace } from '../../util/trace.js';

/**
 * Layers made and uploaded at once, as containers/image copies 6. The local
 * registry took 6 blobs of 16.5 MiB from a client that only sends them in
 * 0.37 s 6 at a time against 0.42 s 3 at a time: its hashing of one upload
 * overlaps the reading of another.
 */
const PARALLEL_LAYERS = 6;
/** Layers up to this size (uncompressed) are uploaded with one PUT. */
const MONOLITHIC_MAX = 1 << 20;

/**
 * Pushes an image to a registry: each layer whose compressed digest is known
 * (pulled in that compression, or pushed before) skipped when the repository
 * already has it (HEAD) or mounted from another repository of the same
 * registry when the image came from there; otherwise compressed straight into
 * an upload (POST, one streamed PATCH, PUT with the digest). Then the config,
 * then the manifest under the tag. Resolves with the manifest's digest and size.
 */
export async function pushToRegistry(
  store: Store,
  registries: RegistriesConf,
  image: ImageRecord,
  ref: ImageReference & { domain: string },
  opts: ImagePushOptions,
): Promise<PushedManifest> {
  return pushImageManifest(store, registries, image, ref, opts, false);
}

export interface PushedManifest {
  digest: string;
  size: number;
  mediaType: string;
}

/**
 * pushToRegistry's work; with `byDigest` the manifest is stored under its own
 * digest instead of the tag (an instance of a manifest list).
 */
export async function pushImageManifest(
  store: Store,
  registries: RegistriesConf,
  image: ImageRecord,
  ref: ImageReference & { domain: string },
  opts: ImagePushOptions,
  byDigest: boolean,
): Promise<PushedManifest> {
  trace('push start');
  const progress = opts.progress;
  const display = `${ref.domain}/${ref.path}`;
  if (isBlocked(registries, ref)) throw new TspodError(`registry ${ref.domain} is blocked in registries.conf: remove "blocked = true" there to push to ${display}`);
  const credentials = opts.credentials ?? credentialsFor(display, opts.authFile);
  const client = new RegistryClient({
    registry: ref.domain,
    tlsVerify: opts.tlsVerify ?? !isInsecure(registries, ref),
    certDir: opts.certDir,
    credentials,
  });
  client.warm();
  const { kind, compression } = chooseEncoding(image, opts);
  const repo = ref.path;
  const scope = `repository:${repo}:pull,push`;
  const mountFrom = otherRepositories(image, ref.domain, repo);
  const stored = storedManifest(image);
  const layers = store.layerChain(image.topLayer);
  const api = new BlobApi(client, repo, scope);
  // Other repositories of this registry a blob is known in: from the image's names, and where it was pulled from or pushed to.
  const mountSources = (digest: string): string[] =>
    [...new Set([...store.blobRepositories(digest, ref.domain), ...mountFrom])].filter((r) => r !== repo).slice(0, 3);
  const knownBlobs = layers.map((layer, i) => knownCompressedBlobs(store, layer, stored?.layers.length === layers.length ? stored.layers[i] : undefined, compression));
  const configDigest = `sha256:${image.id}`;
  try {
    // The config is small: it goes up beside the layers instead of adding round trips after them.
    const configPushed = (async () => {
      if (!(await api.exists(configDigest))) await api.upload(configDigest, image.config.length, () => image.config, mountSources(configDigest));
    })();
    configPushed.catch(() => undefined);
    const blobs = await mapBounded(layers, PARALLEL_LAYERS, async (layer, i) => {
      const short = digestHex(layer.diffId).slice(0, 12);
      const known = knownBlobs[i]!;
      for (const blob of known) {
        if (await api.exists(blob.digest)) {
          progress?.(`Copying blob ${short} skipped: already exists`);
          return blob;
        }
      }
      for (const blob of known) {
        if (await api.mount(blob.digest, mountSources(blob.digest))) {
          progress?.(`Copying blob ${short} skipped: already exists`);
          return blob;
        }
      }
      const blobProgress = opts.blobProgress;
      const onBytes = blobProgress && ((done: number) => blobProgress(short, done, layer.tarSize));
      const blob = layer.tarSize <= MONOLITHIC_MAX ? await uploadWhole(api, store, layer, compression, onBytes) : await api.uploadStream((body) => writeLayerBlob(store, layer, compression, body, onBytes));
      trace(`layer ${i} pushed`);
      store.recordLayerBlob(layer.id, compression, blob.digest, blob.size);
      progress?.(`Copying blob ${short} done`);
      return blob;
    });
    await configPushed;
    store.recordBlobLocations([...blobs.map((b) => b.digest), configDigest], ref.domain, repo);
    progress?.(`Copying config ${image.id.slice(0, 12)} done`);
    progress?.('Writing manifest to image destination');
    const manifest = pushManifest(kind, image, blobs);
    if (!byDigest && ref.digest && ref.digest !== manifest.digest) {
      throw new InvalidArgumentError(`the pushed manifest's digest ${manifest.digest} is not ${ref.digest}: push to a tag instead of a digest`);
    }
    const mediaType = (JSON.parse(manifest.bytes.toString('utf8')) as { mediaType: string }).mediaType;
    const res = await client.request('PUT', `/v2/${repo}/manifests/${byDigest ? manifest.digest : (ref.digest ?? ref.tag ?? 'latest')}`, {
      scope,
      headers: { 'content-type': mediaType },
      body: () => manifest.bytes,
      expect: [200, 201, 202],
    });
    await readText(res.body);
    progress?.('Storing signatures');
    trace('manifest pushed');
    return { digest: manifest.digest, size: manifest.size, mediaType };
  } catch (e) {
    throw explain(e, display, ref.domain, credentials !== undefined);
  } finally {
    await client.close();
  }
}

/**
 * A small layer is made in memory first: its digest is then known before the
 * upload, which becomes one PUT with the bytes (a POST and a PUT instead of
 * POST, PATCH and PUT: a round trip less per layer, as the config goes).
 */
async function uploadWhole(api: BlobApi, store: Store, layer: LayerRecord, compression: LayerCompression, onBytes?: (n: number) => void): Promise<PushedBlob> {
  const chunks: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const blob = await writeLayerBlob(store, layer, compression, collect, onBytes);
  const bytes = Buffer.concat(chunks);
  if (!(await api.exists(blob.digest))) await api.upload(blob.digest, bytes.length, () => bytes, []);
  return blob;
}

/** Manifest kind and layer compression: the image's own kind unless --format says otherwise; zstd needs OCI. */
export function chooseEncoding(image: ImageRecord, opts: Pick<ImagePushOptions, 'format' | 'compressionFormat'>): { kind: ManifestKind; compression: LayerCompression } {
  let kind: ManifestKind = opts.format === 'v2s2' ? 'docker' : opts.format === 'oci' ? 'oci' : sourceKind(image);
  let compression: LayerCompression = opts.compressionFormat ?? 'gzip';
  if (compression === 'zstd' && kind === 'docker') {
    // An explicit v2s2 wins over zstd (v2s2 layers are gzip only); otherwise the manifest becomes OCI.
    if (opts.format === 'v2s2') compression = 'gzip';
    else kind = 'oci';
  }
  return { kind, compression };
}

/**
 * The compressed blobs the layer is known as in the wanted compression: the
 * one tspod last pushed it as, and the one it was pulled or loaded as (they
 * differ when another compressor made the latter).
 */
function knownCompressedBlobs(
  store: Store,
  layer: LayerRecord,
  entry: { mediaType: string; digest: string; size: number } | undefined,
  compression: LayerCompression,
): PushedBlob[] {
  // The last push first: pushing again to the same place is the common case.
  const blobs: PushedBlob[] = [];
  const pushed = store.layerBlob(layer, compression);
  if (pushed) blobs.push({ digest: pushed.digest, size: pushed.size, compression });
  if (entry && layer.compressedDigest && entry.digest === layer.compressedDigest && compressionOfMediaType(entry.mediaType) === compression) {
    if (!blobs.some((b) => b.digest === entry.digest)) blobs.push({ digest: entry.digest, size: entry.size, compression });
  }
  return blobs;
}

/** Other repositories of the same registry that the image is known in: blobs can be mounted from there. */
function otherRepositories(image: ImageRecord, domain: string, repo: string): string[] {
  const repos = new Set<string>();
  for (const name of [...image.names, ...image.digests]) {
    try {
      const r = parseReference(name);
      if (r.domain === domain && r.path !== repo) repos.add(r.path);
    } catch {
      // not a reference (an id): nothing to mount from
    }
  }
  return [...repos].slice(0, 3);
}

class BlobApi {
  constructor(
    private readonly client: RegistryClient,
    private readonly repo: string,
    private readonly scope: string,
  ) {}

  async exists(digest: string): Promise<boolean> {
    const res = await this.client.request('HEAD', `/v2/${this.repo}/blobs/${digest}`, { scope: this.scope, expect: [200, 404] });
    await readText(res.body);
    return res.status === 200;
  }

  /** Tries cross-repository mounts; an upload session the registry opens instead is cancelled. */
  async mount(digest: string, from: string[]): Promise<boolean> {
    for (const repo of from) {
      const res = await this.startUpload(digest, repo);
      if (res.mounted) return true;
      if (res.location) await this.cancel(res.location);
    }
    return false;
  }

  async upload(digest: string, size: number, body: () => Readable | Buffer, mountFrom: string[]): Promise<void> {
    let location: string | undefined;
    for (const repo of mountFrom) {
      const res = await this.startUpload(digest, repo);
      if (res.mounted) return;
      location = res.location;
      if (location) break;
    }
    location ??= (await this.startUpload(digest, undefined)).location;
    if (!location) throw new RegistryError(`${this.client.registry} did not say where to upload ${digest}: the registry is not Docker/OCI compatible`, 0);
    const absolute = await this.client.resolveUrl(location);
    const url = `${absolute}${absolute.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const res = await this.client.request('PUT', url, {
      scope: this.scope,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      expect: [201, 204],
    });
    await readText(res.body);
  }

  /**
   * Uploads a blob whose digest is known only once it has been produced:
   * `produce` writes it into the body of one chunked PATCH and resolves with
   * its digest, which the closing PUT then names. When `produce` fails (a
   * damaged layer is found only at its end) the upload session is cancelled.
   */
  async uploadStream(produce: (body: PassThrough) => Promise<PushedBlob>): Promise<PushedBlob> {
    const location = (await this.startUpload(undefined, undefined)).location;
    if (!location) throw new RegistryError(`${this.client.registry} did not open an upload session: the registry is not Docker/OCI compatible`, 0);
    const body = new PassThrough();
    let sent = false;
    const patching = this.client
      .request('PATCH', await this.client.resolveUrl(location), {
        scope: this.scope,
        headers: { 'content-type': 'application/octet-stream' },
        // A stream is consumed by the first attempt: one attempt, and never a second send.
        body: () => {
          if (sent) throw new RegistryError(`${this.client.registry} refused a streamed layer upload that cannot be resent: push again`, 0);
          sent = true;
          return body;
        },
        expect: [202, 204],
        retries: 1,
      })
      .then(async (res) => {
        await readText(res.body);
        const next = res.headers.location;
        return Array.isArray(next) ? next[0] : next;
      })
      .catch((e: unknown) => {
        body.destroy();
        throw e;
      });
    trace('upload opened');
    // A producer that fails without closing the body would leave the PATCH waiting for its end.
    const producing = produce(body).catch((e: unknown) => {
      body.destroy();
      throw e;
    });
    const [produced, patched] = await Promise.allSettled([producing, patching]);
    trace('upload sent');
    if (produced.status === 'rejected' || patched.status === 'rejected') {
      // After a PATCH the registry knows the session by the Location it answered with.
      await this.cancel((patched.status === 'fulfilled' ? patched.value : undefined) ?? location);
      const reason: unknown = produced.status === 'rejected' ? produced.reason : (patched as PromiseRejectedResult).reason;
      // A connection lost midway surfaces as a bare socket error (read ECONNRESET): say what it cut short.
      if (reason instanceof TspodError) throw reason;
      throw new RegistryError(`uploading a layer to ${this.client.registry} failed: ${errorMessage(reason)}: push again`, 0);
    }
    const blob = produced.value;
    const absolute = await this.client.resolveUrl(patched.value ?? location);
    const url = `${absolute}${absolute.includes('?') ? '&' : '?'}digest=${encodeURIComponent(blob.digest)}`;
    const res = await this.client.request('PUT', url, { scope: this.scope, headers: { 'content-length': '0' }, expect: [201, 204] });
    await readText(res.body);
    return blob;
  }

  private async startUpload(digest: string | undefined, mountFrom: string | undefined): Promise<{ mounted: boolean; location?: string }> {
    const query = digest && mountFrom ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
    const res = await this.client.request('POST', `/v2/${this.repo}/blobs/uploads/${query}`, { scope: this.scope, expect: mountFrom ? [201, 202] : [202] });
    await readText(res.body);
    const location = res.headers.location;
    return { mounted: res.status === 201, location: Array.isArray(location) ? location[0] : location };
  }

  private async cancel(location: string): Promise<void> {
    try {
      const res = await this.client.request('DELETE', await this.client.resolveUrl(location), { scope: this.scope });
      await readText(res.body);
    } catch {
      // an abandoned upload session expires on its own
    }
  }
}

function explain(e: unknown, display: string, registry: string, hadCredentials: boolean): unknown {
  if (!(e instanceof RegistryError)) return e;
  if (e.httpStatus === 401) {
    return hadCredentials
      ? new RegistryError(`pushing to ${display}: invalid username/password: check --creds or log in again with tspod login ${registry}`, 401)
      : new RegistryError(`pushing to ${display}: authentication required: log in with tspod login ${registry}, or give --creds`, 401);
  }
  if (e.httpStatus === 403) {
    return new RegistryError(`pushing to ${display}: access denied: the account has no push rights to this repository`, 403);
  }
  return e;
}

