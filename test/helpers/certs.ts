/**
 * Self-signed certificates for listener tests, made with the `openssl` CLI: RSA or ECDSA, for
 * given DNS names, optionally already expired.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Pem } from './tls.js'

/** A self-signed certificate for `names` (the first is the CN) with an RSA 2048 or ECDSA P-256 key. */
export function selfSigned(names: readonly string[], type: 'rsa' | 'ec' = 'rsa'): Pem {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-cert-'))
  try {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    const alg = type === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
    execFileSync('openssl', ['req', '-x509', ...alg, '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The SHA-256 fingerprint of a PEM certificate, as `getPeerCertificate().fingerprint256` gives it. */
export function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256
}
