// Prints the package-lock.json paths (node_modules/…) of the named packages and of everything they need at
// run time, one per line: the image copies exactly these next to the bundle, at the versions the lock pins.
// The bundle keeps these packages outside so that they are loaded by require(), which OpenTelemetry's
// instrumentations patch; a package inlined into the bundle would never be instrumented.
//   node sample-app/build/runtime-modules.mjs express pg ioredis amqplib
import { readFileSync } from 'node:fs';

const packages = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages;

/** Node's lookup: <from>/node_modules/<name>, then each enclosing node_modules up to the root. */
function resolve(from, name) {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut >= 0 ? dir.slice(0, cut) : '';
  }
}

const wanted = new Set();
const visit = (from, name, optional) => {
  const path = resolve(from, name);
  if (!path) {
    if (optional) return;
    throw new Error(`${name} (needed by ${from || 'the app'}) is not in package-lock.json`);
  }
  if (wanted.has(path)) return;
  wanted.add(path);
  const entry = packages[path];
  for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
  for (const [dep, meta] of Object.entries(entry.peerDependenciesMeta ?? {})) if (!meta.optional) visit(path, dep, true);
};
for (const name of process.argv.slice(2)) visit('', name, false);
process.stdout.write([...wanted].sort().join('\n') + '\n');
