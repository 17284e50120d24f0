import signalingPackage from '../package.json' with { type: 'json' };

/**
 * The release this server is (the workspace packages share one version; CHANGELOG.md lists them
 * and the git tag `v<version>` marks each). Bundled into dist by esbuild, so the built server
 * and the source report the same. Shown on /healthz and in the startup log, so an admin can tell
 * what is running after an upgrade.
 */
export const PARLEY_VERSION: string = signalingPackage.version;
