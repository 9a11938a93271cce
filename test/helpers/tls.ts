/**
 * A small PKI for TLS tests, made with the `openssl` CLI in a temporary directory: a root CA,
 * an intermediate CA, a server certificate signed by the intermediate (for `upstream.test` and
 * 127.0.0.1), and a client certificate signed by the root.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Pem {
  readonly cert: string
  readonly key: string
}

export interface Pki {
  readonly root: Pem
  readonly intermediate: Pem
  /** Leaf for `upstream.test` and 127.0.0.1, signed by the intermediate. */
  readonly server: Pem
  /** The server's certificate followed by the intermediate's, as a server sends its chain. */
  readonly serverChain: string
  /** Leaf for `client.test`, signed by the root, for client authentication. */
  readonly client: Pem
  /** Removes the files. */
  dispose(): void
}

const CNF = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[server]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:upstream.test,IP:127.0.0.1
extendedKeyUsage = serverAuth
[client]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = clientAuth
`

/** Makes the PKI. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-pki-'))
  const cnf = join(dir, 'openssl.cnf')
  writeFileSync(cnf, CNF)
  const file = (name: string): string => join(dir, name)
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const key = (name: string): void => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(`${name}.key`))
  const read = (name: string): Pem => ({ cert: readFileSync(file(`${name}.crt`), 'utf8'), key: readFileSync(file(`${name}.key`), 'utf8') })
  const signed = (name: string, subject: string, issuer: string, extensions: string): void => {
    key(name)
    openssl('req', '-new', '-key', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject, '-config', cnf)
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${issuer}.crt`), '-CAkey', file(`${issuer}.key`), '-CAcreateserial', '-out', file(`${name}.crt`), '-days', '30', '-extfile', cnf, '-extensions', extensions)
  }
  key('root')
  openssl('req', '-x509', '-key', file('root.key'), '-out', file('root.crt'), '-subj', '/CN=kong-dbless test root', '-days', '30', '-config', cnf, '-extensions', 'ca')
  signed('intermediate', '/CN=kong-dbless test intermediate', 'root', 'ca')
  signed('server', '/CN=upstream.test', 'intermediate', 'server')
  signed('client', '/CN=client.test', 'root', 'client')
  const server = read('server')
  const intermediate = read('intermediate')
  return {
    root: read('root'),
    intermediate,
    server,
    serverChain: server.cert + intermediate.cert,
    client: read('client'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * A self-signed leaf with an RSA 2048 or ECDSA P-256 key for `names` (DNS subject alternative
 * names; the first is the CN), made by the `openssl` CLI.
 */
export function selfSigned(type: 'rsa' | 'ec', names: readonly string[], days = 30): Pem {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-leaf-'))
  try {
    const keyFile = join(dir, 'leaf.key')
    const certFile = join(dir, 'leaf.crt')
    const { privateKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
    const san = names.map((n) => `DNS:${n}`).join(',')
    execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-out', certFile, '-subj', `/CN=${names[0] ?? 'leaf.test'}`, '-days', String(days), '-addext', `subjectAltName=${san}`, '-addext', 'basicConstraints=critical,CA:FALSE'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
