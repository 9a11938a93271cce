/**
 * The TLS settings of the listeners, read as Kong reads them: certificate and key lists whose
 * items are a file path, PEM text or base64 of the PEM; Kong's cipher suite names; nginx's
 * protocol names and time format. Certificates are read and checked when settings load, so a
 * missing file or a key that does not fit is a settings error, not a failed handshake later.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { createSecureContext } from 'node:tls'
import type { ListenSpec } from './listen.js'

/** Kind of listener that serves TLS with certificates of its own. */
export type ListenerKind = 'proxy' | 'admin' | 'status'

/** The settings behind each kind of listener: where it listens and its certificate lists. */
export const LISTENER_SETTINGS = {
  proxy: { listen: 'proxy_listen', cert: 'ssl_cert', key: 'ssl_cert_key' },
  admin: { listen: 'admin_listen', cert: 'admin_ssl_cert', key: 'admin_ssl_cert_key' },
  status: { listen: 'status_listen', cert: 'status_ssl_cert', key: 'status_ssl_cert_key' },
} as const satisfies Record<ListenerKind, { listen: string; cert: string; key: string }>

/** Kong's `ssl_cipher_suite` values (`kong/conf_loader/constants.lua`, plus `custom`). */
export const CIPHER_SUITE_NAMES = ['modern', 'intermediate', 'old', 'fips', 'custom'] as const
export type CipherSuiteName = (typeof CIPHER_SUITE_NAMES)[number]

/** Protocol names nginx's `ssl_protocols` takes that Node's OpenSSL can serve. */
export const TLS_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const
export type TlsProtocol = (typeof TLS_PROTOCOLS)[number]

/** Largest certificate or key file read; a chain of a few dozen certificates fits. */
const MAX_PEM_BYTES = 1024 * 1024

/** Parses `ssl_protocols` (`TLSv1.2 TLSv1.3`); returns the protocols or why the text is refused. */
export function parseProtocols(raw: string): TlsProtocol[] | string {
  const words = raw.split(/[\s,]+/).filter((w) => w !== '')
  if (words.length === 0) return `ssl_protocols must name at least one of ${TLS_PROTOCOLS.join(', ')}`
  const out: TlsProtocol[] = []
  for (const word of words) {
    if (word === 'SSLv2' || word === 'SSLv3') return `ssl_protocols: ${word} is not supported (Node's OpenSSL has no SSL 2 or 3)`
    if (!(TLS_PROTOCOLS as readonly string[]).includes(word)) return `ssl_protocols must be a list of ${TLS_PROTOCOLS.join(', ')}, got '${word}'`
    if (!out.includes(word as TlsProtocol)) out.push(word as TlsProtocol)
  }
  return out.sort((a, b) => TLS_PROTOCOLS.indexOf(a) - TLS_PROTOCOLS.indexOf(b))
}

const TIME_UNITS: Readonly<Record<string, number>> = { y: 365 * 86400, M: 30 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1 }
const UNIT_ORDER = 'yMwdhms'

/** Parses an nginx time in seconds (`1d`, `1h 30m`, `600`); units in decreasing order, each once. */
export function parseNginxSeconds(raw: string): number | undefined {
  const text = raw.trim()
  if (text === '') return undefined
  let total = 0
  let last = -1
  let rest = text
  while (rest !== '') {
    const m = /^(\d+)([yMwdhms]?)\s*/.exec(rest)
    if (!m) return undefined
    const unit = m[2] || 's'
    const rank = UNIT_ORDER.indexOf(unit)
    // A bare number ends the value, as in nginx.
    if (rank <= last || (m[2] === '' && m[0].length !== rest.length)) return undefined
    last = rank
    total += Number(m[1]) * (TIME_UNITS[unit] ?? 1)
    rest = rest.slice(m[0].length)
  }
  return Number.isSafeInteger(total) ? total : undefined
}

/** Whether OpenSSL takes a cipher list; the reason when it does not. */
export function cipherListProblem(ciphers: string): string | undefined {
  try {
    createSecureContext({ ciphers })
    return undefined
  } catch (err) {
    return (err as Error).message.replace(/^error:[0-9A-F]+:[^:]*::/, '')
  }
}

/** One item of a certificate or key list, read. */
type Item = { readonly pem: string; readonly from: string } | { readonly problem: string; readonly from: string }

/** A path as a user writes one, safe to repeat in a message (no key material). */
const PATHLIKE = /^(\/|\.{1,2}\/|[A-Za-z]:\\)|\.(pem|crt|cer|cert|key)$/i

/**
 * Reads one item as Kong does: PEM text as is, else a file when one exists at the path
 * (relative to `cwd`), else base64 (or base64url) of the PEM. `label` names it in messages
 * (`item 2`, `the setting`), which repeat paths but never inline material.
 */
export function readItem(item: string, label: string, cwd: string): Item {
  if (item.includes('-----BEGIN')) return { pem: item, from: `${label} (PEM text)` }
  const path = resolve(cwd, item)
  let size: number | undefined
  try {
    const stat = statSync(path)
    if (stat.isFile()) size = stat.size
    else return { problem: 'not a regular file', from: item }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENAMETOOLONG' && code !== 'ENOTDIR') return { problem: code ?? (err as Error).message, from: item }
  }
  if (size !== undefined) {
    if (size > MAX_PEM_BYTES) return { problem: `larger than ${MAX_PEM_BYTES} bytes`, from: item }
    try {
      return { pem: readFileSync(path, 'utf8'), from: item }
    } catch (err) {
      return { problem: (err as NodeJS.ErrnoException).code ?? (err as Error).message, from: item }
    }
  }
  if (/^[A-Za-z0-9+/_\-\s]+=*\s*$/.test(item)) {
    const decoded = Buffer.from(item, 'base64').toString('utf8')
    if (decoded.includes('-----BEGIN')) return { pem: decoded, from: `${label} (base64)` }
  }
  return PATHLIKE.test(item) && item.length <= 1024
    ? { problem: 'no such file', from: item }
    : { problem: 'neither a file, PEM text nor base64 of PEM text', from: label }
}

/** Why a PEM text holds no certificate OpenSSL reads; undefined when it does. */
export function certProblem(pem: string): string | undefined {
  try {
    new X509Certificate(pem)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

/** Why a PEM text holds no private key OpenSSL reads; undefined when it does. */
export function keyProblem(pem: string): string | undefined {
  try {
    createPrivateKey(pem)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

/** The values the TLS checks read and write, by setting name. */
type Values = Record<string, unknown>

/**
 * Checks and reads the certificate lists of each kind of listener that has an `ssl` entry, as
 * Kong's conf_loader does (with its messages), and replaces each list by the PEM text of its
 * items. A kind without `ssl` listeners gets empty lists: Kong does not read them either.
 * Checks `ssl_ciphers` when `ssl_cipher_suite` is `custom`. Problems are appended.
 */
export function checkTlsSettings(values: Values, cwd: string, problems: string[]): void {
  for (const names of Object.values(LISTENER_SETTINGS)) {
    const listeners = (values[names.listen] as readonly ListenSpec[] | undefined) ?? []
    const certs = (values[names.cert] as readonly string[] | undefined) ?? []
    const keys = (values[names.key] as readonly string[] | undefined) ?? []
    values[names.cert] = []
    values[names.key] = []
    if (!listeners.some((l) => l.ssl)) continue
    const before = problems.length
    if (certs.length > 0 && keys.length === 0) problems.push(`${names.key} must be specified`)
    else if (keys.length > 0 && certs.length === 0) problems.push(`${names.cert} must be specified`)
    else if (certs.length !== keys.length) {
      problems.push(`${names.cert} was specified ${certs.length} times while ${names.key} was specified ${keys.length} times`)
    }
    const certItems = certs.map((c, i) => readItem(c, `item ${i + 1}`, cwd))
    const keyItems = keys.map((k, i) => readItem(k, `item ${i + 1}`, cwd))
    for (const item of certItems) {
      const problem = 'problem' in item ? item.problem : certProblem(item.pem)
      if (problem !== undefined) problems.push(`${names.cert}: failed loading certificate from ${item.from}: ${problem}`)
    }
    for (const item of keyItems) {
      const problem = 'problem' in item ? item.problem : keyProblem(item.pem)
      if (problem !== undefined) problems.push(`${names.key}: failed loading key from ${item.from}: ${problem}`)
    }
    if (problems.length > before) continue
    const certPems = certItems.map((i) => (i as { pem: string }).pem)
    const keyPems = keyItems.map((i) => (i as { pem: string }).pem)
    const mismatch = certPems.findIndex((c, i) => !new X509Certificate(c).checkPrivateKey(createPrivateKey(keyPems[i])))
    if (mismatch >= 0) {
      problems.push(`${names.key}: the key from ${keyItems[mismatch]?.from} does not match the certificate from ${certItems[mismatch]?.from}`)
      continue
    }
    // The whole list as a listener will take it: every block of a chain, one key per type.
    try {
      createSecureContext({ cert: certPems, key: keyPems })
    } catch (err) {
      problems.push(`${names.cert}: OpenSSL refuses the list: ${(err as Error).message}`)
      continue
    }
    values[names.cert] = certPems
    values[names.key] = keyPems
  }
  if (values.ssl_cipher_suite === 'custom' && typeof values.ssl_ciphers === 'string') {
    const problem = cipherListProblem(values.ssl_ciphers)
    if (problem !== undefined) problems.push(`ssl_ciphers: OpenSSL takes no cipher from '${values.ssl_ciphers}' (${problem})`)
  }
}
