/** Libpod system routes: info, disk usage, prune, and the events stream. */
import type { ApiRouter } from '../../router.js';
import { queryBool, sendJson } from '../../http.js';
import { dfToLibpod, eventLine, pruneToLibpod } from '../../libpod/reports.js';
import { LibpodRoutes, filtersOf, queryString } from './common.js';
import { parseUntilTimestamp } from '../../../util/untilTimestamp.js';

export function register(router: ApiRouter): void {
  const r = new LibpodRoutes(router);

  r.get('/info', async ({ engine, res }) => sendJson(res, 200, await engine.system.info()));

  r.get('/system/df', async ({ engine, res }) => sendJson(res, 200, dfToLibpod(await engine.system.df())));

  r.post('/system/prune', async (ctx) => {
    const report = await ctx.engine.system.prune({
      all: queryBool(ctx.query, 'all'),
      volumes: queryBool(ctx.query, 'volumes'),
      filters: filtersOf(ctx),
    });
    sendJson(ctx.res, 200, pruneToLibpod(report));
  });

  r.get('/events', async (ctx) => {
    const { engine, query, res } = ctx;
    const now = new Date();
    const since = queryString(query, 'since');
    const until = queryString(query, 'until');
    const sinceNano = since ? parseUntilTimestamp(since, now) : undefined;
    const untilNano = until ? parseUntilTimestamp(until, now) : undefined;
    const filters = filtersOf(ctx);
    const stream = queryBool(query, 'stream', true);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    await engine.system.events(
      { stream, sinceNano, untilNano, filters },
      (e) => {
        if (!res.destroyed) res.write(eventLine(e));
      },
      abort.signal,
    );
    res.end();
  });
}
