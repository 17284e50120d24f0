/**
 * Installs the service worker (src/sw/service-worker.ts) and tells the router when a newer
 * deploy is ready. A page of the old build keeps running untouched, calls included; the new
 * build takes over at the next page load, or at the next in-app navigation (between calls),
 * which navigation.ts then turns into a full page load.
 */
let registration: ServiceWorkerRegistration | undefined;

export function registerServiceWorker(): void {
  // Dev (Vite's server) has no sw.js; production builds only.
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // After the load event, so installing (it downloads the whole shell) never competes with the
  // first render. A failure (no secure context, storage disabled) leaves the app as it was.
  const register = () =>
    navigator.serviceWorker.register('/sw.js').then(
      (r) => (registration = r),
      () => undefined,
    );
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}

/**
 * True when a newer build's worker is installed and waiting for this page to go. Also asks the
 * browser to look for one, so a tab left open for days still learns of a deploy between calls.
 */
export function newerBuildWaiting(): boolean {
  registration?.update().catch(() => undefined);
  return registration?.waiting != null;
}
