import { useSyncExternalStore } from 'react';
import { newerBuildWaiting } from '../app-update.ts';

/** Two routes do not need a router library: `/` and `/r/<room-id>`. */
const listeners = new Set<() => void>();

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(path: string): void {
  // A newer deploy is installed: this in-app step (never made during a call) becomes a full
  // page load, so the next call runs the new build.
  if (newerBuildWaiting()) {
    location.assign(path);
    return;
  }
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
