import { useSyncExternalStore } from 'react';

/** Two routes do not need a router library: `/` and `/r/<room-id>`. */
const listeners = new Set<() => void>();

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(path: string): void {
  history.pushState(null, '', path);
  listeners.forEach((l) => l());
}

export function usePathname(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => window.location.pathname,
  );
}

export function roomIdFromPath(pathname: string): string | undefined {
  return /^\/r\/([A-Za-z0-9_-]{22,64})\/?$/.exec(pathname)?.[1];
}
