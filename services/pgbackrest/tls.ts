import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { BackupSecrets } from '../../src/core/spec.ts';

const VALID_YEARS = 10;
const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

function rsaKey(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  // Node's native key generation; forge only builds and signs the certificates.
  const { privateKey: pem } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const privateKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey, publicKey: forge.pki.setRsaPublicKey(privateKey.n, privateKey.e), pem };
}

function certificate(subject: string, publicKey: forge.pki.PublicKey, issuer: forge.pki.CertificateField[] | undefined, extensions: object[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + VALID_YEARS * 365 * 86_400_000);
  const name = [{ name: 'commonName', value: subject }, { name: 'organizationName', value: 'refstack' }];
  cert.setSubject(name);
  cert.setIssuer(issuer ?? name);
  cert.setExtensions(extensions);
  return cert;
}

/**
 * The backup tier's credentials: the repositories' encryption passphrase and a private CA with one
 * identity per host that speaks pgBackRest's TLS protocol (the repository host and every Postgres member).
 * Each identity's certificate names its host (CN and DNS SAN) and serves both ends of mutual TLS:
 * pgBackRest checks the server's name against the host it dialled, and the client's CN against
 * `tls-server-auth` (pgBackRest user guide, "Dedicated Repository Host", TLS server). Base64 of PEM keeps
 * each value on one line: they travel in environment variables and compose's env file.
 *
 * A fresh CA and one identity per host name; throws only on a malformed host name.
 */
export function makeBackupSecrets(hosts: readonly string[]): BackupSecrets {
  for (const h of hosts) if (!/^[a-z][a-z0-9-]*$/.test(h)) throw new Error(`backup TLS: "${h}" is not a host name`);
  const ca = rsaKey();
  const caCert = certificate('refstack backup CA', ca.publicKey, undefined, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());
  const identities: BackupSecrets['identities'] = {};
  for (const host of hosts) {
    const key = rsaKey();
    const cert = certificate(host, key.publicKey, caCert.subject.attributes, [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: host }] },
    ]);
    cert.sign(ca.privateKey, forge.md.sha256.create());
    identities[host] = { cert: b64(forge.pki.certificateToPem(cert)), key: b64(key.pem) };
  }
  return { cipherPass: randomBytes(32).toString('base64url'), ca: b64(forge.pki.certificateToPem(caCert)), identities };
}
