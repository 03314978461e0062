// Rewrites artifacts.lock for another OpenSearch 2.19.x: fetches every artefact through this machine's Maven
// with strict checksums (-C: Maven checks each download against the checksum its repository publishes) and
// pins the sha512 of the verified file. Run it where that repository is trusted; builds then need no trust
// in the channel, only in the lock.
//   node --import tsx services/opensearch/pin-artifacts.ts [version]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digest, fetchWithMaven, parseLock } from '../../src/core/images/maven.ts';

const here = dirname(fileURLToPath(import.meta.url));
const lockPath = join(here, 'artifacts.lock');
const version = process.argv[2] ?? '2.19.6';
const text = readFileSync(lockPath, 'utf8');
const header = text.split('\n').filter((l) => l.startsWith('#'));
const wanted = parseLock(text).map((a) => {
  const [g, art, v, type] = a.coordinate.split(':');
  const moved = v?.startsWith('2.19.') ? version : v;
  return { ...a, coordinate: `${g}:${art}:${moved}:${type}`, file: `${art}-${moved}.${type}`, algorithm: 'sha512' as const };
});
const out = mkdtempSync(join(tmpdir(), 'refstack-pin-'));
fetchWithMaven(wanted, out);
const lines = wanted.map((a) => `${a.dir} ${a.coordinate} sha512 ${digest(join(out, a.file), 'sha512')}`);
writeFileSync(lockPath, [...header, ...lines, ''].join('\n'));
console.log(lines.join('\n'));
