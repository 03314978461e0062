import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What an image build fetches over the network besides Debian's packages (image.json `registries`). */
export type Registry = 'npm';

export interface RegistryArgs {
  /** Docker build arguments: NPM_REGISTRY and CA_BUNDLE (a path inside the build context). */
  buildargs: Record<string, string>;
  /** Context-relative files the build needs besides the image's own (the staged CA bundle). */
  files: string[];
}

/**
 * The registries an image build uses come from this machine's own configuration, never from the
 * repository: the npm registry from `npm config get registry` (REFSTACK_NPM_REGISTRY overrides), and the
 * CA bundle TLS is verified with from REFSTACK_CA_BUNDLE, npm's `cafile`, NODE_EXTRA_CA_CERTS or the
 * system bundle, in that order. The bundle is staged into `<image folder>/.build/` so the Dockerfile can
 * trust what this machine trusts (an intercepting egress proxy's CA, a company mirror's CA).
 * Errors: no registry configured, or no CA bundle found, each with the variable that fixes it.
 */
export function registryArgs(registries: Registry[], imageDir: string, contextDir: string): RegistryArgs {
  if (!registries.includes('npm')) return { buildargs: {}, files: [] };
  const registry = (process.env.REFSTACK_NPM_REGISTRY ?? npmConfig('registry')).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(registry)) throw new Error(`no npm registry configured on this machine (npm config get registry: "${registry}").\n  fix: npm config set registry <url>   (or REFSTACK_NPM_REGISTRY=<url>)`);
  const bundle = [process.env.REFSTACK_CA_BUNDLE, npmConfig('cafile'), process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt'].find((f) => f && f !== 'null' && f !== 'undefined' && existsSync(f));
  if (!bundle) throw new Error('no CA bundle to verify the npm registry with.\n  fix: REFSTACK_CA_BUNDLE=/path/to/ca-bundle.pem npx refstack images build');
  const staged = join(imageDir, '.build', 'ca-certificates.crt');
  mkdirSync(join(imageDir, '.build'), { recursive: true });
  copyFileSync(bundle, staged);
  const inContext = relative(contextDir, staged);
  return { buildargs: { NPM_REGISTRY: registry, CA_BUNDLE: inContext }, files: [inContext] };
}

function npmConfig(key: string): string {
  try {
    return execFileSync('npm', ['config', 'get', key], { encoding: 'utf8', timeout: 15_000 }).trim();
  } catch {
    return '';
  }
}
