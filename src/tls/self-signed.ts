/**
 * Self-signed X.509 certificates, signed with @peculiar/x509 over Node's WebCrypto (node:crypto
 * signs data but cannot build a certificate). The library is loaded on first use: only the
 * process that generates certificates pays for it.
 */
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto'
import type * as X509Lib from '@peculiar/x509'

/** A certificate and its private key, PEM (the key as PKCS#8). */
export interface PemPair {
  readonly cert: string
  readonly key: string
}

/** The key to generate: RSA of a size, or ECDSA on a named curve. */
export type KeySpec = { readonly type: 'rsa'; readonly bits: number } | { readonly type: 'ec'; readonly curve: 'P-256' | 'P-384' }

/** What goes into a self-signed certificate. */
export interface SelfSignedSpec {
  readonly key: KeySpec
  /** Subject (and issuer) as an RFC 4514 string: `C=US, O=Kong, CN=localhost`. */
  readonly subject: string
  readonly notBefore: Date
  readonly notAfter: Date
  /** Extended key usages by OID. */
  readonly extendedKeyUsage: readonly string[]
}

/** serverAuth and clientAuth, the extended key usages of Kong's default certificates. */
export const SERVER_AND_CLIENT_AUTH = ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'] as const

type X509 = typeof X509Lib
let library: Promise<X509> | undefined

/** @peculiar/x509 with Node's WebCrypto; its dependency injection needs the Reflect metadata polyfill first. */
function x509(): Promise<X509> {
  library ??= (async () => {
    await import('reflect-metadata')
    const lib = await import('@peculiar/x509')
    lib.cryptoProvider.set(webcrypto as unknown as Crypto)
    return lib
  })()
  return library
}

/** WebCrypto's name for the signing algorithm of a key spec, with SHA-256 (SHA-384 on P-384). */
function algorithmOf(key: KeySpec): RsaHashedKeyGenParams | EcKeyGenParams & { hash: string } {
  return key.type === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: key.bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: key.curve, hash: key.curve === 'P-384' ? 'SHA-384' : 'SHA-256' }
}

/**
 * Generates a key and a self-signed v3 certificate for it, as Kong's `gen_default_ssl_cert`
 * does: a random 16-byte serial, basicConstraints CA:FALSE (critical), the given extended key
 * usages and a subject key identifier.
 */
export async function generateSelfSigned(spec: SelfSignedSpec): Promise<PemPair> {
  const lib = await x509()
  const algorithm = algorithmOf(spec.key)
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])
  // A positive serial: the top bit clear, as DER integers are signed.
  const serial = randomBytes(16)
  serial[0] = (serial[0] ?? 0) & 0x7f
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: spec.subject,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new lib.BasicConstraintsExtension(false, undefined, true),
      new lib.ExtendedKeyUsageExtension([...spec.extendedKeyUsage]),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string
  return { cert: cert.toString('pem') + '\n', key }
}
