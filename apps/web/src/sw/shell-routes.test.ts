import { describe, expect, it } from 'vitest';
import {
  meansServerUnreachable,
  OFFLINE_FILES,
  OFFLINE_PAGE,
  routeRequest,
  shellCacheName,
  staleShellCaches,
} from './shell-routes.ts';

const ORIGIN = 'https://meet.example.org';
const SHELL = new Set([...OFFLINE_FILES, '/assets/index-abc123.js', '/assets/InCall-def456.css']);
const get = (path: string, mode = 'cors') => ({ method: 'GET', url: `${ORIGIN}${path}`, mode });

describe('routeRequest', () => {
  it('answers the build’s hashed files and the offline page’s files from the shell', () => {
    expect(routeRequest(get('/assets/index-abc123.js'), ORIGIN, SHELL)).toBe('shell');
    expect(routeRequest(get('/assets/InCall-def456.css', 'no-cors'), ORIGIN, SHELL)).toBe('shell');
    for (const file of OFFLINE_FILES) expect(routeRequest(get(file), ORIGIN, SHELL)).toBe('shell');
  });

  it('never touches signalling, the client config or anything else dynamic', () => {
    for (const path of [
      '/client-config.json',
      '/ws',
      '/signal/sse?room=x',
      '/signal/poll',
      '/healthz',
      '/readyz',
      '/sw.js',
      '/manifest.webmanifest',
      '/assets/index-old999.js', // another build's file: the network decides
    ])
      expect(routeRequest(get(path), ORIGIN, SHELL), path).toBe('network');
  });

  it('leaves writes, other origins and query strings to the network', () => {
    const post = { method: 'POST', url: `${ORIGIN}/assets/index-abc123.js`, mode: 'cors' };
    expect(routeRequest(post, ORIGIN, SHELL)).toBe('network');
    const foreign = {
      method: 'GET',
      url: 'https://other.example/assets/index-abc123.js',
      mode: 'cors',
    };
    expect(routeRequest(foreign, ORIGIN, SHELL)).toBe('network');
    expect(routeRequest(get('/assets/index-abc123.js?v=2'), ORIGIN, SHELL)).toBe('network');
  });

  it('sends every page load to the network first, whatever its path', () => {
    for (const path of ['/', '/r/abcdefghijklmnopqrstuv', '/test', OFFLINE_PAGE])
      expect(routeRequest(get(path, 'navigate'), ORIGIN, SHELL), path).toBe('page');
  });

  it('leaves a navigation POST (a form) to the network', () => {
    expect(
      routeRequest({ method: 'POST', url: `${ORIGIN}/`, mode: 'navigate' }, ORIGIN, SHELL),
    ).toBe('network');
  });
});

describe('shell caches', () => {
  it('deletes the caches of other builds and nothing that is not Parley’s shell', () => {
    const names = [
      shellCacheName('new'),
      shellCacheName('old'),
      shellCacheName('older'),
      'other-app',
    ];
    expect(staleShellCaches(names, 'new')).toEqual([
      shellCacheName('old'),
      shellCacheName('older'),
    ]);
    expect(staleShellCaches([shellCacheName('new')], 'new')).toEqual([]);
  });
});

describe('meansServerUnreachable', () => {
  it('is true for what a proxy answers while the app behind it is down', () => {
    expect([502, 503, 504].every(meansServerUnreachable)).toBe(true);
  });
  it('is false for the app’s own answers, errors included', () => {
    expect([200, 304, 404, 500].some(meansServerUnreachable)).toBe(false);
  });
});
