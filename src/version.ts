/** Replaced at build time from package.json by esbuild's `define`. */
declare const __TSPOD_VERSION__: string | undefined;
declare const __TSPOD_BUILT__: number | undefined;
export const VERSION: string = typeof __TSPOD_VERSION__ === 'string' ? __TSPOD_VERSION__ : '0.0.0-dev';
/** Build time in Unix seconds (podman's `Built`). */
export const BUILT: number = typeof __TSPOD_BUILT__ === 'number' ? __TSPOD_BUILT__ : Math.floor(Date.now() / 1000);
/** The Podman release whose behaviour and API tspod follows. */
export const PODMAN_COMPAT_VERSION = '4.3.1';
export const API_VERSION = '4.3.1';
