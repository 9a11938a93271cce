/**
 * The certificates a kind of listener serves when no SNI picks another: its `*ssl_cert`
 * settings, else Kong's self-signed defaults, an RSA and an ECDSA pair kept in `<prefix>/ssl/`
 * under Kong's file names, made once and reused across restarts.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NodeConf } from '../conf/settings.js'
import { LISTENER_SETTINGS, type ListenerKind } from '../conf/tls-settings.js'
import { generateSelfSigned, SERVER_AND_CLIENT_AUTH, type KeySpec, type PemPair } from './self-signed.js'

export type { ListenerKind } from '../conf/tls-settings.js'

/** Kong's default certificate subject (`kong/cmd/utils/prefix_handler.lua`). */
const SUBJECT = 'C=US, ST=California, L=San Francisco, O=Kong, OU=IT Department, CN=localhost'
/** Kong's default certificates last 20 years. */
const LIFETIME_MS = 20 * 365 * 86_400_000

/** The two default pairs: RSA 2048 and ECDSA P-256, as Kong makes them. */
const PAIRS = [
  { suffix: '', keyType: 'rsa', spec: { type: 'rsa', bits: 2048 } },
  { suffix: '-ecdsa', keyType: 'ec', spec: { type: 'ec', curve: 'P-256' } },
] as const satisfies readonly { suffix: string; keyType: string; spec: KeySpec }[]

/** File name stem of each kind's default pairs. */
const STEMS: Readonly<Record<ListenerKind, string>> = { proxy: 'kong-default', admin: 'admin-kong-default', status: 'status-kong-default' }

/** Paths of a kind's default RSA and ECDSA pairs, in that order. */
export function defaultCertificatePaths(prefix: string, kind: ListenerKind): { cert: string; key: string }[] {
  const dir = join(prefix, 'ssl')
  return PAIRS.map(({ suffix }) => ({ cert: join(dir, `${STEMS[kind]}${suffix}.crt`), key: join(dir, `${STEMS[kind]}${suffix}.key`) }))
}

/** Whether a kind has `ssl` listeners and no certificate of its own, so it serves the defaults. */
function needsDefaults(conf: NodeConf, kind: ListenerKind): boolean {
  const names = LISTENER_SETTINGS[kind]
  return conf[names.listen].some((l) => l.ssl) && conf[names.cert].length === 0
}

/** Whether a pair read from files parses, matches, is of the expected key type and is valid now. */
function usable(pair: PemPair, keyType: string, now: number): boolean {
  try {
    const cert = new X509Certificate(pair.cert)
    const key = createPrivateKey(pair.key)
    return key.asymmetricKeyType === keyType && cert.checkPrivateKey(key) && Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo)
  } catch {
    return false
  }
}

async function readPair(paths: { cert: string; key: string }): Promise<PemPair | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(paths.cert, 'utf8'), readFile(paths.key, 'utf8')])
    return { cert, key }
  } catch {
    return undefined
  }
}

/** Writes a file 0600 by way of a temporary name, so no reader sees half of it. */
async function writePrivate(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await rm(tmp, { force: true })
  await writeFile(tmp, data, { mode: 0o600, flag: 'wx' })
  await rename(tmp, path)
}

/**
 * Makes the default certificates of each of `kinds` that has `ssl` listeners and no
 * `*ssl_cert`: `<prefix>/ssl/` (0700) holds an RSA and an ECDSA pair (0600) per kind. Pairs that
 * parse, match and are valid are kept; missing, broken or expired ones are made anew. The
 * primary calls it before the workers start.
 */
export async function ensureDefaultCertificates(conf: NodeConf, kinds: readonly ListenerKind[]): Promise<void> {
  const wanted = kinds.filter((kind) => needsDefaults(conf, kind))
  if (wanted.length === 0) return
  const dir = join(conf.prefix, 'ssl')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  const now = Date.now()
  for (const kind of wanted) {
    const paths = defaultCertificatePaths(conf.prefix, kind)
    for (let i = 0; i < PAIRS.length; i++) {
      const { keyType, spec } = PAIRS[i]
      const at = paths[i]
      const existing = await readPair(at)
      if (existing && usable(existing, keyType, now)) {
        await Promise.all([chmod(at.key, 0o600), chmod(at.cert, 0o600)])
        continue
      }
      const pair = await generateSelfSigned({ key: spec, subject: SUBJECT, notBefore: new Date(now), notAfter: new Date(now + LIFETIME_MS), extendedKeyUsage: SERVER_AND_CLIENT_AUTH })
      // The key first: a certificate on disk always has its key beside it.
      await writePrivate(at.key, pair.key)
      await writePrivate(at.cert, pair.cert)
    }
  }
}

/**
 * The certificate chains and keys a kind of listener serves by default, in the arrays Node's
 * `cert`/`key` options take: its settings' PEM texts, else the RSA and ECDSA defaults side by
 * side (OpenSSL then serves the one the client's ciphers and signature algorithms allow).
 * Throws when the defaults are needed and cannot be read.
 */
export function listenerCertificates(conf: NodeConf, kind: ListenerKind): { cert: string[]; key: string[] } {
  const names = LISTENER_SETTINGS[kind]
  if (conf[names.cert].length > 0) return { cert: [...conf[names.cert]], key: [...conf[names.key]] }
  const cert: string[] = []
  const key: string[] = []
  for (const paths of defaultCertificatePaths(conf.prefix, kind)) {
    for (const [path, out] of [[paths.cert, cert], [paths.key, key]] as const) {
      try {
        out.push(readFileSync(path, 'utf8'))
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message
        throw new Error(`the ${kind} listeners have no certificate: ${names.cert} is not set and the default ${path} cannot be read (${reason})`, { cause: err })
      }
    }
  }
  return { cert, key }
}
