// https upstreams over real TLS: verification against the service's ca_certificates, its depth,
// the client certificate it presents, and what the upstream sees as the server name.
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import t from 'tap'
import { http, startNode } from '../helpers/node.js'
import { makePki } from '../helpers/tls.js'

const pki = makePki()
t.teardown(() => pki.dispose())

/** An https upstream that answers with the client certificate's subject and the SNI it was asked for. */
async function tlsUpstream(): Promise<{ port: number; server: Server }> {
  const server = createServer({ cert: pki.serverChain, key: pki.server.key, ca: pki.root.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerCertificate()
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ sni: socket.servername === false ? null : socket.servername, client: peer.subject?.CN ?? null, authorized: socket.authorized, host: req.headers.host }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, server }
}

const indent = (pem: string): string => pem.trim().split('\n').join('\n      ')

t.test('tls_verify, ca_certificates, tls_verify_depth and client_certificate towards an https upstream', async (t) => {
  const up = await tlsUpstream()
  t.teardown(() => new Promise<void>((resolve) => up.server.close(() => resolve())))
  const ca = '11111111-1111-4111-8111-111111111111'
  const cert = '22222222-2222-4222-8222-222222222222'
  const service = (name: string, extra: string): string =>
    `- name: ${name}\n  url: https://127.0.0.1:${up.port}\n  retries: 0\n${extra}  routes: [{paths: [/${name}]}]\n`
  const config = [
    '_format_version: "3.0"',
    'ca_certificates:',
    `- id: ${ca}`,
    `  cert: |\n      ${indent(pki.root.cert)}`,
    'certificates:',
    `- id: ${cert}`,
    `  cert: |\n      ${indent(pki.client.cert)}`,
    `  key: |\n      ${indent(pki.client.key)}`,
    'services:',
    service('plain', ''),
    service('verified', `  tls_verify: true\n  ca_certificates: [${ca}]\n`),
    service('unknown-ca', '  tls_verify: true\n'),
    service('shallow', `  tls_verify: true\n  tls_verify_depth: 0\n  ca_certificates: [${ca}]\n`),
    service('deep-enough', `  tls_verify: true\n  tls_verify_depth: 1\n  ca_certificates: [${ca}]\n`),
    service('mtls', `  client_certificate: ${cert}\n`),
  ].join('\n')
  const node = await startNode({ workers: 1, config })
  t.teardown(() => node.stop())

  const plain = await http(`${node.proxy}/plain`)
  t.equal(plain.status, 200, 'without tls_verify the certificate is not checked (Kong default)')
  t.same(plain.body, { sni: null, client: null, authorized: false, host: `127.0.0.1:${up.port}` }, 'no server name for an IP, no client certificate')

  t.equal((await http(`${node.proxy}/verified`)).status, 200, 'verified against the service ca_certificates')
  const unknown = await http(`${node.proxy}/unknown-ca`)
  t.equal(unknown.status, 502, 'a CA the service does not trust: 502')
  t.match(unknown.body, { message: 'An invalid response was received from the upstream server' })
  t.equal((await http(`${node.proxy}/shallow`)).status, 502, 'a chain deeper than tls_verify_depth is refused')
  t.equal((await http(`${node.proxy}/deep-enough`)).status, 200, 'and one within it is accepted')

  const mtls = await http(`${node.proxy}/mtls`)
  t.equal(mtls.status, 200)
  t.match(mtls.body, { client: 'client.test', authorized: true }, 'the client certificate is presented')
  t.ok(node.logs.some((l) => typeof l.reason === 'string' && /certificate|self.signed|issuer/i.test(l.reason)), 'the failed verification is logged with its reason')
})
