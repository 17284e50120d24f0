import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Traefik is not packaged for Debian 12, so infra/proxy/traefik.yml cannot run here (nginx.conf
 * runs for real in scripts/compose/behind-nginx.sh). What can be checked is checked: it is YAML
 * of the file provider's shape, every name it references is defined, and it forwards to the
 * port docker-compose.proxy.yml publishes the app on. Parsed with Python's PyYAML (it comes with
 * Debian's docker-compose), not a new npm dependency.
 */

const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));

function parseYaml(path: string): unknown {
  const script = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))';
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' }));
}

function pyyamlMissing(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'python3 with PyYAML is not installed (apt-get install python3-yaml)';
  }
}

interface TraefikDynamic {
  http: {
    routers: Record<
      string,
      { rule: string; entryPoints: string[]; service: string; middlewares?: string[]; tls?: object }
    >;
    middlewares: Record<string, { headers?: { stsSeconds?: number } }>;
    services: Record<string, { loadBalancer: { servers: { url: string }[] } }>;
  };
}

/** The port docker-compose.proxy.yml publishes the app on by default (APP_PORT). */
function publishedAppPort(): string {
  const override = readFileSync(file('../../docker-compose.proxy.yml'), 'utf8');
  const port = /\$\{APP_PORT:-(\d+)\}:8080/.exec(override)?.[1];
  if (!port) throw new Error('no APP_PORT default in docker-compose.proxy.yml');
  return port;
}

const missing = pyyamlMissing();

describe.skipIf(missing !== undefined)('infra/proxy/traefik.yml (structure only)', () => {
  if (missing) console.warn(`skipped: ${missing}`);

  it('routes the domain over TLS to the app port of docker-compose.proxy.yml, with HSTS', () => {
    const { http } = parseYaml(file('traefik.yml')) as TraefikDynamic;
    const routers = Object.values(http.routers);
    expect(routers).toHaveLength(1);
    const router = routers[0]!;
    expect(router.rule).toBe('Host(`meet.example.org`)');
    expect(router.tls).toBeDefined();
    const service = http.services[router.service];
    expect(service, `service ${router.service}`).toBeDefined();
    expect(service!.loadBalancer.servers.map((server) => server.url)).toEqual([
      `http://127.0.0.1:${publishedAppPort()}`,
    ]);
    for (const name of router.middlewares ?? []) expect(http.middlewares[name], name).toBeDefined();
    const hsts = (router.middlewares ?? []).map((name) => http.middlewares[name]?.headers);
    expect(hsts.some((headers) => (headers?.stsSeconds ?? 0) > 0)).toBe(true);
  });

  it('the nginx example forwards to the same port', () => {
    const nginx = readFileSync(file('nginx.conf'), 'utf8');
    expect(nginx).toContain(`server 127.0.0.1:${publishedAppPort()};`);
  });
});
