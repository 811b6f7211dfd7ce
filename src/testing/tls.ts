import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of PEM files for a TLS server: the CA that signed it, its certificate and its key. */
export interface TlsFiles {
  caCert: string;
  cert: string;
  key: string;
}

/** A server's TLS material, as paths (for redis.conf) and as contents (for Node's `tls` options). */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  caPath: string;
  certPath: string;
  keyPath: string;
}

// P-256 keys take milliseconds to generate where RSA 2048 can take a noticeable fraction of a second.
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const VALID_DAYS = '2';

/**
 * Creates a throwaway CA and a server certificate it signed, valid for 127.0.0.1 and localhost,
 * in `dir`. Needs the `openssl` command line tool.
 */
export async function generateTlsFiles(dir: string): Promise<TlsFiles> {
  await mkdir(dir, { recursive: true });
  const files = { caCert: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  const caKey = join(dir, 'ca.key');
  const csr = join(dir, 'server.csr');
  const extensions = join(dir, 'server.ext');

  // The CA and the server key do not depend on each other, so both start at once.
  await Promise.all([
    openssl([
      'req',
      '-x509',
      ...NEW_EC_KEY,
      '-keyout',
      caKey,
      '-out',
      files.caCert,
      '-days',
      VALID_DAYS,
      '-subj',
      '/CN=redmoon test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    openssl(['req', ...NEW_EC_KEY, '-keyout', files.key, '-out', csr, '-subj', '/CN=localhost']),
    // Node checks the address it dialled against subjectAltName and ignores the CN.
    writeFile(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n'),
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    files.caCert,
    '-CAkey',
    caKey,
    '-set_serial',
    randomSerial(),
    '-days',
    VALID_DAYS,
    '-extfile',
    extensions,
    '-out',
    files.cert,
  ]);
  return files;
}

/** Reads the PEM files named by `files` so both their paths and contents can be handed out. */
export async function loadTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const [ca, cert, key] = await Promise.all([
    readFile(files.caCert),
    readFile(files.cert),
    readFile(files.key),
  ]);
  return { ca, cert, key, caPath: files.caCert, certPath: files.cert, keyPath: files.key };
}

function randomSerial(): string {
  return String(randomInt(1, 2 ** 47));
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`openssl ${args[0]} failed while generating test certificates: ${stderr || error}`);
  }
}
