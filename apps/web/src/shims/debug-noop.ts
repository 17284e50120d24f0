/**
 * Stands in for the `debug` package in the production build (see vite.config.ts). simple-peer
 * logs through `debug`, which stays silent unless localStorage.debug is set; shipping it (with
 * its `ms` dependency) cost about 2.5 kB gzip on the call page's critical path for output nobody
 * sees. Development builds keep the real package.
 */
function noop(): void {}

export default function createDebug(): typeof noop {
  return noop;
}
