/**
 * Parley's service worker (built into dist/sw.js by apps/web/src/sw/vite-plugin.ts).
 * Installable app, offline page, and a call that survives a deploy: a page keeps loading its
 * own build's lazy chunks from this build's cache even after the server switched to the next.
 *
 * Updates: a new deploy changes sw.js, the browser installs the new worker on the next page
 * load, and page loads always come from the network, so the next load already shows the new
 * build. The new worker does NOT skip waiting: it takes over once no page of the old build is
 * open, so a call in progress is never reloaded or left without its files.
 */
import {
  meansServerUnreachable,
  OFFLINE_PAGE,
  routeRequest,
  shellCacheName,
  staleShellCaches,
  type ShellManifest,
} from './shell-routes.ts';

// The DOM library has no service worker types; these are the few members used here.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  /** The page load the browser started while this worker was starting (navigation preload). */
  readonly preloadResponse: Promise<Response | undefined>;
  respondWith(response: Promise<Response>): void;
}
interface WorkerScope {
  readonly location: Location;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  readonly clients: { claim(): Promise<void> };
  readonly registration: { navigationPreload?: { enable(): Promise<void> } };
}

declare const __PARLEY_SHELL__: ShellManifest;
const shell = __PARLEY_SHELL__;
const scope = self as unknown as WorkerScope;
const cacheName = shellCacheName(shell.version);
const shellFiles = new Set(shell.files);

scope.addEventListener('install', (event) => {
  // All or nothing: a shell missing a file (a deploy happened mid-install) is not installed,
  // and the browser tries again on the next page load.
  event.waitUntil(caches.open(cacheName).then((cache) => cache.addAll(shell.files)));
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(staleShellCaches(names, shell.version).map((name) => caches.delete(name)));
      // Page loads go to the network anyway: let the browser start them while this worker boots.
      await scope.registration.navigationPreload?.enable();
      // The first install: control the page that registered us, so its lazy chunks and its
      // next offline moment are served already. (Never reached while an older worker's pages
      // are open: activation waits for them.)
      await scope.clients.claim();
    })(),
  );
});

scope.addEventListener('fetch', (event) => {
  const route = routeRequest(event.request, scope.location.origin, shellFiles);
  if (route === 'shell') event.respondWith(fromShell(event.request));
  else if (route === 'page') event.respondWith(loadPage(event));
  // 'network': no respondWith, so the browser fetches it itself, untouched by this worker.
});

async function fromShell(request: Request): Promise<Response> {
  const cached = await caches.open(cacheName).then((cache) => cache.match(request));
  return cached ?? fetch(request);
}

async function loadPage(event: FetchEvent): Promise<Response> {
  try {
    const response = (await event.preloadResponse) ?? (await fetch(event.request));
    if (!meansServerUnreachable(response.status)) return response;
  } catch {
    // Offline, or the server refused the connection: the offline page says which.
  }
  const offline = await caches.open(cacheName).then((cache) => cache.match(OFFLINE_PAGE));
  return offline ?? Response.error();
}
