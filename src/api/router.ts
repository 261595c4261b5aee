/**
 * Routes requests to handlers. Docker routes live at `/containers/json`,
 * libpod routes at `/libpod/containers/json`; both are also served under any
 * version prefix (`/v1.41/...`, `/v4.0.0/libpod/...`), which is stripped here
 * and handed to the handler as `apiVersion`.
 *
 * find-my-way matches on a radix tree; a name that may contain slashes (an
 * image reference) is registered with a trailing `*` and split by its module.
 */
import FindMyWay from 'find-my-way';
import type { ApiContext, RouteHandler } from './http.js';

export interface RouteMatch {
  handler: RouteHandler;
  params: Record<string, string>;
  apiVersion: string | undefined;
}

const VERSION_PREFIX = /^\/v(\d+(?:\.[\dx]+)*)(?=\/)/;

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** The per-method shorthands over `on`, for the router and for wrappers that register through it. */
export abstract class RouteRegistrar {
  abstract on(methods: Method | Method[], path: string, handler: RouteHandler): this;

  get(path: string, handler: RouteHandler): this {
    return this.on('GET', path, handler);
  }
  head(path: string, handler: RouteHandler): this {
    return this.on('HEAD', path, handler);
  }
  post(path: string, handler: RouteHandler): this {
    return this.on('POST', path, handler);
  }
  put(path: string, handler: RouteHandler): this {
    return this.on('PUT', path, handler);
  }
  delete(path: string, handler: RouteHandler): this {
    return this.on('DELETE', path, handler);
  }
}

export class ApiRouter extends RouteRegistrar {
  private readonly tree = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 4096 });

  on(methods: Method | Method[], path: string, handler: RouteHandler): this {
    this.tree.on(methods, path, handler as never);
    return this;
  }

  /** The handler for a method and a path (without the query string), or undefined. */
  match(method: string, rawPath: string): RouteMatch | undefined {
    let path = rawPath;
    let apiVersion: string | undefined;
    // 'v' after the first slash: the only paths the version regexp needs to look at.
    if (rawPath.charCodeAt(1) === 118) {
      const version = VERSION_PREFIX.exec(rawPath);
      if (version) {
        apiVersion = version[1];
        path = rawPath.slice(version[0].length);
      }
    }
    const found = this.tree.find(method as Method, path);
    if (!found) return undefined;
    // No optional parameters are registered, so every value is a string.
    return { handler: found.handler as unknown as RouteHandler, params: found.params as Record<string, string>, apiVersion };
  }
}

export type RouteModule = { register(router: ApiRouter): void };
export type { ApiContext };
