import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLock, stagingPom } from '../../src/core/images/maven.ts';
import { SERVICES_DIR } from '../../src/core/paths.ts';

describe('Maven staging (image.json "maven"): artefacts come through the machine\'s Maven, checked against a lock', () => {
  it('reads the OpenSearch lock: coordinates, install dirs, the file names copy-dependencies writes', () => {
    const lock = parseLock(readFileSync(join(SERVICES_DIR, 'opensearch', 'artifacts.lock'), 'utf8'));
    expect(lock[0]).toMatchObject({ dir: '.', coordinate: 'org.opensearch.distribution.integ-test-zip:opensearch:2.19.6:zip', algorithm: 'sha512', file: 'opensearch-2.19.6.zip' });
    expect(lock.every((a) => /^[0-9a-f]{40,128}$/.test(a.sum))).toBe(true);
    expect(stagingPom(lock)).toContain('<artifactId>opensearch</artifactId><version>2.19.6</version><type>zip</type>');
  });

  it('rejects a malformed entry with the line it found', () => {
    expect(() => parseLock('. org.example:a:1 sha512 abc\n')).toThrow(/entry 1 must be/);
    expect(() => parseLock('. org.example:a:1:jar md5 abc\n')).toThrow(/sha512\|sha1/);
  });
});
