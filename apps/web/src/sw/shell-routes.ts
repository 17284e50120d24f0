/**
 * What the service worker does with each request, as pure functions (service-worker.ts wires
 * them to the worker's events). The worker caches the app shell only: the hashed files of one
 * build plus the offline page. Everything dynamic (signalling over /ws and /signal/*,
 * /client-config.json, health and metrics) is never even looked at: the worker does not answer
 * it, so the browser fetches it exactly as it would without a worker.
 */

/** The build's shell, baked into sw.js by apps/web/src/sw/vite-plugin.ts. */
export interface ShellManifest {
  /** Changes whenever any file of the shell changes: a new deploy means a new worker. */
  version: string;
  /** Absolute paths, e.g. "/assets/index-abc123.js" and OFFLINE_PAGE. */
  files: string[];
}

/** Shown for any page load while the server cannot be reached. */
export const OFFLINE_PAGE = '/offline.html';

/** The offline page and what it loads; unhashed, so they live in each build's own cache. */
export const OFFLINE_FILES = [OFFLINE_PAGE, '/offline.css', '/offline.js', '/icons/icon.svg'];

const CACHE_PREFIX = 'parley-shell-';

export function shellCacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/** Caches of earlier builds, to delete once this build's worker takes over. */
export function staleShellCaches(cacheNames: readonly string[], version: string): string[] {
  const current = shellCacheName(version);
  return cacheNames.filter((name) => name.startsWith(CACHE_PREFIX) && name !== current);
}

export interface RequestFacts {
  method: string;
  url: string;
  mode: string;
}

/**
 * - `page`: a page load. Always from the network, so a deploy shows on the very next load
 *   (never a stale index.html); the offline page only when the network fails.
 * - `shell`: a file of this build's shell, answered from the cache (hashed, so it cannot be stale).
 * - `network`: anything else; the worker stays out of the way.
 */
export type Route = 'page' | 'shell' | 'network';

export function routeRequest(
  request: RequestFacts,
  origin: string,
  shellFiles: ReadonlySet<string>,
): Route {
  if (request.method !== 'GET') return 'network';
  const url = new URL(request.url);
  if (url.origin !== origin) return 'network';
  if (request.mode === 'navigate') return 'page';
  // A query string means someone asked for something other than the build's file.
  if (url.search === '' && shellFiles.has(url.pathname)) return 'shell';
  return 'network';
}

/**
 * A proxy in front of Parley (Caddy in the compose stack) answers 502/503/504 while the app
 * behind it is down: to the user that is the same "server unreachable" as a refused connection.
 */
export function meansServerUnreachable(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}
