/**
 * The emulator's TLS identity: a throwaway CA and a server certificate it signs, made at start-up.
 *
 * Why TLS at all: client-node refuses a plain `http://` server unless the kubeconfig turns verification off,
 * and a test that turns verification off proves nothing about the client's TLS setup. Why node-forge: node:crypto
 * makes keys but cannot sign X.509; forge (no dependencies of its own) builds and signs the certificates while
 * node:crypto does the slow part (RSA key generation, natively). The `openssl` CLI would work too but is not a
 * runtime dependency dust may assume.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface EmulatorTls {
  /** PEM of the CA certificate: the kubeconfig's `certificate-authority-data`. */
  caCert: string;
  /** PEM of the server certificate (signed by the CA) and its private key. */
  cert: string;
  key: string;
}

/** Names and addresses the server certificate is valid for. */
export interface TlsSubjects {
  ips: readonly string[];
  dnsNames: readonly string[];
}

function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A positive serial (the top bit clear: DER integers are signed, and Go rejects negative serials). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  // Backdated a little: a client whose clock is slightly behind must not see "not yet valid".
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + days * 24 * 60 * 60 * 1000);
}

function issue(subjects: TlsSubjects): EmulatorTls {
  const caKeys = rsaKeyPair();
  const caPrivate = forge.pki.privateKeyFromPem(caKeys.privatePem);
  const ca = forge.pki.createCertificate();
  ca.publicKey = forge.pki.publicKeyFromPem(caKeys.publicPem);
  ca.serialNumber = serialNumber();
  validity(ca, 30);
  const caName = [{ name: 'commonName', value: 'dust kubernetes emulator CA' }, { name: 'organizationName', value: 'dust' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caPrivate, forge.md.sha256.create());

  const serverKeys = rsaKeyPair();
  const server = forge.pki.createCertificate();
  server.publicKey = forge.pki.publicKeyFromPem(serverKeys.publicPem);
  server.serialNumber = serialNumber();
  validity(server, 30);
  server.setSubject([{ name: 'commonName', value: 'kube-apiserver' }]);
  server.setIssuer(caName);
  // Go (kubectl) ignores the common name and checks only subjectAltName.
  const altNames = [
    ...subjects.dnsNames.map((value) => ({ type: 2, value })),
    ...subjects.ips.map((ip) => ({ type: 7, ip })),
  ];
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(caPrivate, forge.md.sha256.create());

  const tls = {
    caCert: forge.pki.certificateToPem(ca),
    cert: forge.pki.certificateToPem(server),
    key: serverKeys.privatePem,
  };
  // Checked with node's own X.509 parser, so a forge regression fails here and not as a TLS alert in a client.
  if (!new X509Certificate(tls.cert).verify(new X509Certificate(tls.caCert).publicKey)) {
    throw new Error('emulator TLS: the server certificate does not verify against its CA');
  }
  return tls;
}

const issued = new Map<string, EmulatorTls>();

/**
 * A CA and a server certificate for `host` (plus `localhost`, 127.0.0.1 and ::1). Memoised per host within the
 * process: tests start many emulators, and RSA key generation is the slow part.
 */
export function emulatorTls(host: string): EmulatorTls {
  const bare = host.replace(/^\[|\]$/g, '');
  const ips = new Set(['127.0.0.1', '::1']);
  const dnsNames = new Set(['localhost']);
  if (isIP(bare) !== 0) ips.add(bare);
  else dnsNames.add(bare);
  const key = [...ips, ...dnsNames].sort().join(',');
  let tls = issued.get(key);
  if (!tls) {
    tls = issue({ ips: [...ips], dnsNames: [...dnsNames] });
    issued.set(key, tls);
  }
  return tls;
}
