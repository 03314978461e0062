import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memberConfig, repoHostConfig, tlsEnv } from '../../../services/pgbackrest/config.ts';
import { backupTlsHosts } from '../../../services/pgbackrest/spec.ts';
import { makeBackupSecrets } from '../../../services/pgbackrest/tls.ts';
import { nextSegment, segmentRange } from '../../../src/scenarios/backup.ts';
import { compareRestored } from '../../../src/scenarios/disaster-recovery.ts';
import { patroniConfig, withRestoreBootstrap } from '../../../services/postgres/patroni-config.ts';
import { parse } from 'yaml';
import { composeEnvFile, secretVariables } from '../../../src/stack/compose.ts';
import { generateSecrets, withBackupSecrets } from '../../../src/stack/secrets.ts';

const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

describe('backup tier: pgBackRest configuration, TLS identities, WAL segment arithmetic', () => {
  it('each host gets a certificate for its own name, issued by the stack CA, for both ends of mutual TLS', () => {
    const secrets = makeBackupSecrets(backupTlsHosts());
    const ca = new X509Certificate(pem(secrets.ca));
    expect(ca.ca).toBe(true);
    expect(Object.keys(secrets.identities)).toEqual(['pgbackrest', 'pg1', 'pg2', 'pg3']);
    for (const [host, id] of Object.entries(secrets.identities)) {
      const cert = new X509Certificate(pem(id.cert));
      expect(cert.checkIssued(ca) && cert.verify(ca.publicKey), host).toBe(true);
      expect(cert.subjectAltName).toBe(`DNS:${host}`);
      expect(cert.checkHost(host)).toBe(host);
      expect(cert.checkHost('pg9')).toBeUndefined();
      expect(pem(id.key)).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    }
    expect(() => makeBackupSecrets(['Bad_Host'])).toThrow(/not a host name/);
  });

  it('the repository host accepts each member by its own tls-server-auth line (a comma list would name stanzas) and holds no secret in its file', () => {
    const conf = repoHostConfig(['pg1', 'pg2', 'pg3'], { repo1Full: 2, repo2Full: 1 });
    expect(conf.split('\n').filter((l) => l.startsWith('tls-server-auth='))).toEqual(['tls-server-auth=pg1=main', 'tls-server-auth=pg2=main', 'tls-server-auth=pg3=main']);
    for (const n of [1, 2, 3]) expect(conf).toContain(`pg${n}-host=pg${n}\npg${n}-host-type=tls`);
    expect(conf).toContain('backup-standby=y');
    expect(conf).not.toMatch(/cipher-pass/);
  });

  it('a member pushes to both repositories over TLS with a short archive-push io-timeout and accepts only the repository host', () => {
    const conf = memberConfig('pgbackrest');
    expect(conf).toContain('repo1-host=pgbackrest\nrepo1-host-type=tls');
    expect(conf).toContain('repo2-host=pgbackrest\nrepo2-host-type=tls');
    expect(conf).toMatch(/\[global:archive-push\]\nio-timeout=3\n/);
    expect(conf.split('\n').filter((l) => l.startsWith('tls-server-auth='))).toEqual(['tls-server-auth=pgbackrest=main']);
    expect(conf).not.toMatch(/cipher-pass/);
    const secrets = makeBackupSecrets(['pg1']);
    expect(Object.keys(tlsEnv(secrets, 'pg1'))).toEqual(['REFSTACK_BACKUP_TLS_CA_B64', 'REFSTACK_BACKUP_TLS_CERT_B64', 'REFSTACK_BACKUP_TLS_KEY_B64']);
    expect(() => tlsEnv(secrets, 'pg2')).toThrow(/no backup TLS identity for pg2/);
  });

  it('compose reads every backup secret from its env file, and the env file carries each', () => {
    const vars = secretVariables();
    expect(vars.backup?.cipherPass).toMatch(/^\$\{REFSTACK_BACKUP_CIPHER_PASS:\?/);
    expect(Object.keys(vars.backup?.identities ?? {})).toEqual(backupTlsHosts());
    const env = composeEnvFile(withBackupSecrets(generateSecrets()));
    for (const h of backupTlsHosts()) expect(env).toMatch(new RegExp(`^REFSTACK_BACKUP_TLS_CERT_${h.toUpperCase()}=\\S+$`, 'm'));
    expect(env).toMatch(/^REFSTACK_BACKUP_CIPHER_PASS=\S+$/m);
  });

  it('WAL segment names count 256 segments per log and never cross a timeline', () => {
    expect(nextSegment('000000020000000000000009')).toBe('00000002000000000000000A');
    expect(nextSegment('0000000200000000000000FF')).toBe('000000020000000100000000');
    expect(segmentRange('0000000200000000000000FE', '000000020000000100000001')).toEqual(['0000000200000000000000FE', '0000000200000000000000FF', '000000020000000100000000', '000000020000000100000001']);
    expect(() => segmentRange('000000020000000000000009', '00000003000000000000000A')).toThrow(/different timelines/);
  });
  it('a member set to restore bootstraps a new cluster with `pgbackrest restore` (no Patroni arguments, pgBackRest\'s recovery settings kept), the rest of its patroni.yml unchanged', () => {
    const timing = { ttl: 10, loopWait: 2, retryTimeout: 4, primaryStartTimeout: 10 };
    const original = patroniConfig({ scope: 'refstack', member: 'pg1', etcdHosts: ['etcd1:2379'], timing: timing as never, synchronous: true, archive: { stanza: 'main', timeoutSeconds: 10 } });
    const restored = parse(withRestoreBootstrap(original, 'main')) as Record<string, any>;
    expect(restored.bootstrap.method).toBe('pgbackrest');
    expect(restored.bootstrap.pgbackrest).toEqual({ command: 'pgbackrest --stanza=main --log-level-console=info restore', keep_existing_recovery_conf: true, no_params: true });
    const { bootstrap: _a, ...rest } = restored;
    const { bootstrap: _b, ...before } = parse(original) as Record<string, any>;
    expect(rest).toEqual(before);
    expect(restored.bootstrap.dcs).toEqual((parse(original) as Record<string, any>).bootstrap.dcs);
    expect(() => withRestoreBootstrap('name: pg1\n', 'main')).toThrow(/bootstrap section/);
  });

  it('a restore is judged against the acknowledged writes: the loss after the newest kept row is the RPO; holes, changed rows and unknown rows are mismatches', () => {
    const acks = [1, 2, 3, 4, 5].map((n) => ({ n, at: 1_000 * n }));
    const exact = compareRestored(acks, new Map([[1, 1_000], [2, 2_000], [3, 3_000]]), 6);
    expect(exact).toMatchObject({ mismatches: 0, lost: 2, rpoSeconds: 2 });
    expect(compareRestored(acks, new Map(acks.map((a) => [a.n, a.at] as [number, number])).set(6, 6_000), 6)).toMatchObject({ mismatches: 0, lost: 0, rpoSeconds: 0 });
    expect(compareRestored(acks, new Map([[1, 1_000], [3, 3_000]]), 6).mismatches).toBe(1);
    expect(compareRestored(acks, new Map([[1, 1_000], [2, 2_500]]), 6).mismatches).toBe(1);
    expect(compareRestored(acks, new Map([[1, 1_000], [7, 7_000]]), 6).mismatches).toBe(1);
    expect(compareRestored(acks, new Map(), 6)).toMatchObject({ lost: 5, rpoSeconds: 4 });
  });
});
