import { useSyncExternalStore } from 'react';

/**
 * MediaStreams are live objects, not state, so they stay out of the zustand store. Tiles look
 * them up here by participant ID ('self' for our own). `version` changes when a stream's
 * tracks change, so a tile re-attaches it.
 */
export const SELF = 'self';

const streams = new Map<string, { stream: MediaStream; version: number }>();
const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

export function setStream(id: string, stream: MediaStream): void {
  const version = (streams.get(id)?.version ?? 0) + 1;
  streams.set(id, { stream, version });
  notify();
}

export function deleteStream(id: string): void {
  if (streams.delete(id)) notify();
}

/** Our screen share. Remote streams are keyed `${peerId}:${streamId}`. */
export const SELF_SCREEN = 'self:screen';

export function remoteStreamKey(peerId: string, streamId: string): string {
  return `${peerId}:${streamId}`;
}

export function deletePeerStreams(peerId: string): void {
  let changed = false;
  for (const key of [...streams.keys()])
    if (key.startsWith(`${peerId}:`)) changed = streams.delete(key) || changed;
  if (changed) notify();
}

export function clearStreams(): void {
  streams.clear();
  notify();
}

export function useStream(id: string): { stream: MediaStream; version: number } | undefined {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => streams.get(id),
  );
}
