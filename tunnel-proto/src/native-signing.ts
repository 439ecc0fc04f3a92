// Certificates and CSRs are built with node-forge (Node has no API to create them), but forge's RSA is
// JavaScript: one SHA-256/RSA-2048 signature held the event loop for 40–270 ms on the bench machine, so a
// controller signing an agent's renewal stalled every exchange it carried, and an agent's renewal stalled its
// own. Here forge still lays out the to-be-signed DER and writes the signature into the structure; only the
// private-key operation runs in Node's OpenSSL (~0.4 ms).
import { sign, type KeyObject } from 'node:crypto';

/** A node-forge certificate or certification request: `sign(key, md)` digests its DER into md and signs. */
export interface ForgeSignable {
  sign(key: never, md: never): void;
}

/**
 * Signs a forge certificate or CSR with SHA-256 and RSA PKCS #1 v1.5 (what forge's `sign(key,
 * forge.md.sha256.create())` writes) using `privateKey` in Node's native crypto.
 */
export function signNatively(signable: ForgeSignable, privateKey: KeyObject | string): void {
  const der: string[] = [];
  // The two objects forge's sign() touches: the digest's name (for the signature algorithm OID) and
  // update() with the DER as a binary string, then key.sign(md) for the signature as a binary string.
  const md = {
    algorithm: 'sha256',
    update(bytes: string) {
      der.push(bytes);
      return md;
    },
  };
  const key = {
    sign: (): string => sign('sha256', Buffer.from(der.join(''), 'binary'), privateKey).toString('binary'),
  };
  (signable.sign as (key: unknown, md: unknown) => void).call(signable, key, md);
}
