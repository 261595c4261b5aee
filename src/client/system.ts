/** The system group over the libpod API: info, df, prune, and events as a stream of JSON lines. */
import type { EventRecord, EventsQuery } from '../engine/eventTypes.js';
import type { SystemCheckReport, SystemDfReport, SystemEngine, SystemInfo, SystemPruneOptions, SystemPruneReport } from '../engine/types.js';
import { dfFromLibpod, eventFromLine, nanosParam, pruneFromLibpod } from '../api/libpod/reports.js';
import { filtersParam, notRemote } from './common.js';
import { errorOf, linesOf, readAll, type Transport } from './transport.js';

export class RemoteSystem implements SystemEngine {
  constructor(private readonly t: Transport) {}

  info(): Promise<SystemInfo> {
    return this.t.json('GET', '/info');
  }

  async df(): Promise<SystemDfReport> {
    return dfFromLibpod(await this.t.json('GET', '/system/df'));
  }

  async prune(opts: SystemPruneOptions): Promise<SystemPruneReport> {
    return pruneFromLibpod(await this.t.json('POST', '/system/prune', { query: { all: opts.all, volumes: opts.volumes, filters: filtersParam(opts.filters) } }));
  }

  async unshare(): Promise<number> {
    throw notRemote('unshare', 'it enters the user namespace of the machine of the service');
  }

  async reset(): Promise<void> {
    throw notRemote('system reset');
  }

  async migrate(): Promise<void> {
    throw notRemote('system migrate');
  }

  async check(): Promise<SystemCheckReport> {
    throw notRemote('system check');
  }

  async events(query: EventsQuery, onEvent: (e: EventRecord) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.t.send('GET', '/events', {
      query: {
        stream: query.stream !== false,
        since: query.sinceNano !== undefined ? nanosParam(query.sinceNano) : undefined,
        until: query.untilNano !== undefined ? nanosParam(query.untilNano) : undefined,
        filters: filtersParam(query.filters),
      },
    });
    if ((res.statusCode ?? 0) >= 400) throw errorOf(res, await readAll(res));
    const stop = () => res.destroy();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const line of linesOf(res)) onEvent(eventFromLine(line));
    } catch (err) {
      if (!signal?.aborted) throw err;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }
}
