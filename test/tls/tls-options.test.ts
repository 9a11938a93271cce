/**
 * tlsServerOptions: what each cipher suite and the custom settings turn into, checked on real
 * handshakes between a node:tls server and clients restricted to one protocol or cipher.
 */
import { constants } from 'node:crypto'
import t from 'tap'
import { loadConf, type NodeConf } from '../../src/conf/settings.js'
import { CIPHER_SUITES } from '../../src/tls/cipher-suites.js'
import { tlsServerOptions } from '../../src/tls/tls-options.js'
import { handshake } from '../helpers/handshake.js'
import { selfSigned } from '../helpers/tls.js'

const rsa = selfSigned('rsa', ['rsa.test'])
const conf = (env: Record<string, string>): NodeConf => loadConf({ env, cwd: '/' })
/** A server with the options of `env` and the RSA certificate. */
const serverOf = (env: Record<string, string>) => ({ ...tlsServerOptions(conf(env)), cert: rsa.cert, key: rsa.key })
/** A client that offers only `version`; below TLS 1.2 it needs OpenSSL's security level 0 as well. */
const only = (version: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3', ciphers?: string) => ({
  minVersion: version,
  maxVersion: version,
  ...(ciphers !== undefined ? { ciphers } : version === 'TLSv1' || version === 'TLSv1.1' ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
})

t.test('each named suite sets its protocols, ciphers and order; the custom settings are then ignored', async (t) => {
  const ignored = { KONG_SSL_PROTOCOLS: 'TLSv1', KONG_SSL_CIPHERS: 'AES128-SHA', KONG_SSL_PREFER_SERVER_CIPHERS: 'on' }
  t.same(tlsServerOptions(conf({ ...ignored, KONG_SSL_CIPHER_SUITE: 'modern' })), { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', honorCipherOrder: false, sessionTimeout: 86400 }, 'modern')
  t.same(
    tlsServerOptions(conf(ignored)),
    { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: CIPHER_SUITES.intermediate.ciphers, honorCipherOrder: false, sessionTimeout: 86400, dhparam: 'auto' },
    'intermediate, the default',
  )
  t.same(
    tlsServerOptions(conf({ ...ignored, KONG_SSL_CIPHER_SUITE: 'old' })),
    { minVersion: 'TLSv1', maxVersion: 'TLSv1.3', ciphers: CIPHER_SUITES.old.ciphers, honorCipherOrder: true, sessionTimeout: 86400 },
    'old',
  )
  t.same(
    tlsServerOptions(conf({ ...ignored, KONG_SSL_CIPHER_SUITE: 'fips' })),
    { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'TLSv1.2+FIPS:kRSA+FIPS:!eNULL:!aNULL', honorCipherOrder: true, sessionTimeout: 86400 },
    'fips',
  )
  t.match(CIPHER_SUITES.intermediate.ciphers, /^ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:.*:DHE-RSA-CHACHA20-POLY1305$/, "Kong's intermediate list, in its order")
  t.match(CIPHER_SUITES.old.ciphers, /:DES-CBC3-SHA:@SECLEVEL=0$/, "Kong's old list, at security level 0")
  t.same(
    tlsServerOptions(conf({ KONG_SSL_CIPHER_SUITE: 'custom', KONG_SSL_SESSION_TIMEOUT: '10m', KONG_SSL_SESSION_TICKETS: 'off' })),
    { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', honorCipherOrder: true, sessionTimeout: 600, secureOptions: constants.SSL_OP_NO_TICKET },
    'custom: ssl_protocols, ssl_prefer_server_ciphers and session settings; OpenSSL\'s ciphers without ssl_ciphers',
  )
})

t.test('a protocol left out inside the range is turned off, as nginx does', async (t) => {
  const env = { KONG_SSL_CIPHER_SUITE: 'custom', KONG_SSL_PROTOCOLS: 'TLSv1 TLSv1.2', KONG_SSL_CIPHERS: 'DEFAULT:@SECLEVEL=0' }
  t.match(tlsServerOptions(conf(env)), { minVersion: 'TLSv1', maxVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TLSv1_1 }, 'TLSv1.1 off within TLSv1 to TLSv1.2')
  const server = serverOf(env)
  t.match(await handshake(server, only('TLSv1')), { protocol: 'TLSv1' }, 'a TLSv1 client is served')
  t.match(await handshake(server, only('TLSv1.1')), { error: 'ERR_SSL_UNSUPPORTED_PROTOCOL' }, 'a TLSv1.1 client is refused')
  t.match(await handshake(server, only('TLSv1.2')), { protocol: 'TLSv1.2' }, 'a TLSv1.2 client is served')
  t.match(await handshake(server, only('TLSv1.3')), { error: /./ }, 'a TLSv1.3 client is refused')
})

t.test('protocols and ciphers on the wire', async (t) => {
  const intermediate = serverOf({})
  t.match(await handshake(intermediate, only('TLSv1.3')), { protocol: 'TLSv1.3', cipher: /^TLS_/ }, 'intermediate: TLS 1.3 with its default suites')
  t.match(await handshake(intermediate, only('TLSv1.2', 'ECDHE-RSA-CHACHA20-POLY1305')), { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-CHACHA20-POLY1305' }, 'intermediate: a listed TLS 1.2 cipher')
  t.match(await handshake(intermediate, only('TLSv1.2', 'DHE-RSA-AES128-GCM-SHA256')), { cipher: 'DHE-RSA-AES128-GCM-SHA256' }, 'intermediate: DHE, with its ffdhe group')
  t.match(await handshake(intermediate, only('TLSv1.2', 'AES128-SHA')), { error: /./ }, 'intermediate: an old cipher is refused')
  t.match(await handshake(intermediate, only('TLSv1.1')), { error: /./ }, 'intermediate: TLS 1.1 is refused')
  const modern = serverOf({ KONG_SSL_CIPHER_SUITE: 'modern' })
  t.match(await handshake(modern, only('TLSv1.3')), { protocol: 'TLSv1.3' }, 'modern: TLS 1.3')
  t.match(await handshake(modern, only('TLSv1.2')), { error: /./ }, 'modern: TLS 1.2 is refused')
  const old = serverOf({ KONG_SSL_CIPHER_SUITE: 'old' })
  t.match(await handshake(old, only('TLSv1.2', 'AES128-SHA')), { protocol: 'TLSv1.2', cipher: 'AES128-SHA' }, 'old: an old cipher')
  t.match(await handshake(old, only('TLSv1.1')), { protocol: 'TLSv1.1' }, 'old: TLS 1.1')
  const custom = serverOf({ KONG_SSL_CIPHER_SUITE: 'custom', KONG_SSL_CIPHERS: 'ECDHE-RSA-AES128-GCM-SHA256' })
  t.match(await handshake(custom, only('TLSv1.2', 'DHE-RSA-AES128-GCM-SHA256')), { error: /./ }, 'custom: only ssl_ciphers, and no DHE without parameters')
})

t.test('ssl_prefer_server_ciphers decides whose order wins', async (t) => {
  const env = { KONG_SSL_CIPHER_SUITE: 'custom', KONG_SSL_CIPHERS: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256' }
  const client = only('TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384')
  t.match(await handshake(serverOf(env), client), { cipher: 'ECDHE-RSA-AES256-GCM-SHA384' }, 'on: the server\'s first choice')
  t.match(await handshake(serverOf({ ...env, KONG_SSL_PREFER_SERVER_CIPHERS: 'off' }), client), { cipher: 'ECDHE-RSA-AES128-GCM-SHA256' }, 'off: the client\'s first choice')
})

t.test('ssl_session_tickets turns tickets on and off', async (t) => {
  t.match(await handshake(serverOf({}), only('TLSv1.2')), { ticket: true }, 'on: the client gets a ticket')
  t.match(await handshake(serverOf({ KONG_SSL_SESSION_TICKETS: 'off' }), only('TLSv1.2')), { ticket: false }, 'off: no ticket')
})
