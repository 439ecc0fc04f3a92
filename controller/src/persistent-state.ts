import fs from 'node:fs';
import path from 'node:path';
import { CertificateAuthority } from './pki';
import { generateTokenKeys, type TokenKeys } from './jwt';

/** The CA and token keys the controller signs with, and which of them this start created. */
export interface ControllerSecrets {
  ca: CertificateAuthority;
  tokenKeys: TokenKeys;
  /** True when this start generated the token keys (so no control credential exists yet). */
  createdTokenKeys: boolean;
  /** Where the generated material is kept; undefined when it lives only in memory. */
  dataDir?: string;
  /** Keeps the CA's revocation list in `dataDir` (no-op without one), so a restart never un-revokes. */
  saveRevocations(): void;
}

const CA_CERT_FILE = 'ca.crt';
const CA_KEY_FILE = 'ca.key';
const TOKEN_KEYS_FILE = 'token-keys.json';
const REVOKED_FILE = 'revoked-serials.json';

/** Writes a secret file so that a crash never leaves half of it: temporary file, then rename. */
function writeSecret(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`config: dataDir: cannot read ${file}: ${(error as Error).message}`);
  }
}

function parseTokenKeys(file: string, text: string): TokenKeys {
  try {
    const parsed = JSON.parse(text) as Partial<TokenKeys>;
    const { currentKeyId, keys } = parsed;
    if (typeof currentKeyId === 'string' && keys && typeof keys[currentKeyId] === 'string')
      return { currentKeyId, keys };
  } catch {
    // reported below
  }
  throw new Error(`config: dataDir: ${file} is not a token key set ({currentKeyId, keys}); fix or delete it`);
}

/** The token keys a controller keeps in `dataDir`, if it has started there before. */
export function keptTokenKeys(dataDir: string): TokenKeys | undefined {
  const file = path.join(dataDir, TOKEN_KEYS_FILE);
  const text = readIfPresent(file);
  return text ? parseTokenKeys(file, text) : undefined;
}

/**
 * The controller's CA and token keys. Provided ones (config) win; otherwise they are read from
 * `dataDir`, or generated there on the first start, so a restarted controller presents the same CA and
 * accepts the tokens it issued before: connected agents and issued kubeconfigs keep working. Without a
 * `dataDir` the generated ones live in memory and die with the process.
 */
export async function loadOrCreateSecrets(options: {
  dataDir?: string;
  ca?: { certPem: string; keyPem: string };
  tokenKeys?: TokenKeys;
}): Promise<ControllerSecrets> {
  const { dataDir } = options;
  if (dataDir) {
    try {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      fs.accessSync(dataDir, fs.constants.W_OK);
    } catch (error) {
      throw new Error(`config: dataDir: ${dataDir} is not a writable directory: ${(error as Error).message}`);
    }
  }

  let ca: CertificateAuthority;
  if (options.ca) ca = CertificateAuthority.fromPem(options.ca.certPem, options.ca.keyPem);
  else if (dataDir) {
    const certFile = path.join(dataDir, CA_CERT_FILE);
    const keyFile = path.join(dataDir, CA_KEY_FILE);
    const certPem = readIfPresent(certFile);
    const keyPem = readIfPresent(keyFile);
    if (certPem && keyPem) {
      try {
        ca = CertificateAuthority.fromPem(certPem, keyPem);
      } catch (error) {
        throw new Error(`config: dataDir: ${certFile} / ${keyFile} are not a CA: ${(error as Error).message}`);
      }
    } else if (certPem || keyPem) {
      throw new Error(
        `config: dataDir: ${certPem ? keyFile : certFile} is missing beside ${certPem ? certFile : keyFile}`,
      );
    } else {
      ca = await CertificateAuthority.generate();
      const exported = ca.exportPem();
      // Key first: a certificate on disk always has its key.
      writeSecret(keyFile, exported.keyPem);
      writeSecret(certFile, exported.certPem);
    }
  } else ca = await CertificateAuthority.generate();

  let tokenKeys: TokenKeys;
  let createdTokenKeys = false;
  if (options.tokenKeys) tokenKeys = options.tokenKeys;
  else if (dataDir) {
    const kept = keptTokenKeys(dataDir);
    if (kept) tokenKeys = kept;
    else {
      tokenKeys = generateTokenKeys();
      writeSecret(path.join(dataDir, TOKEN_KEYS_FILE), JSON.stringify(tokenKeys, null, 2));
      createdTokenKeys = true;
    }
  } else {
    tokenKeys = generateTokenKeys();
    createdTokenKeys = true;
  }
  const revokedFile = dataDir ? path.join(dataDir, REVOKED_FILE) : undefined;
  const revokedText = revokedFile ? readIfPresent(revokedFile) : undefined;
  if (revokedFile && revokedText) {
    let serials: unknown;
    try {
      serials = JSON.parse(revokedText);
    } catch {
      serials = undefined;
    }
    if (!Array.isArray(serials) || !serials.every((serial) => typeof serial === 'string'))
      throw new Error(`config: dataDir: ${revokedFile} is not a JSON list of serials; fix it (never delete it)`);
    for (const serial of serials) ca.revoke(serial);
  }
  const saveRevocations = (): void => {
    if (revokedFile) writeSecret(revokedFile, JSON.stringify(ca.revokedSerials()));
  };
  return { ca, tokenKeys, createdTokenKeys, dataDir, saveRevocations };
}
