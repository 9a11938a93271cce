// The image's proxy ports are Kong's: 8443 speaks TLS with HTTP/2 offered, as Kong's default
// `0.0.0.0:8443 http2 ssl` does, so a client of Kong's image negotiating h2 gets it here too.
import { connect } from 'node:tls'
import t from 'tap'
import { ENTRYPOINT, imageRoot, startImage } from '../helpers/image.js'

/** The ALPN protocol the listener picks when a client offers h2 and HTTP/1.1. */
function negotiated(port: number): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve(socket.alpnProtocol ?? false)
      socket.end()
    })
    socket.on('error', reject)
  })
}

t.test('the image CMD serves TLS on the 8443 listener with h2, as Kong does', async (t) => {
  const image = await imageRoot()
  const tlsEntry = (image.env.KONG_PROXY_LISTEN ?? '').split(',').find((e) => /\bssl\b/.test(e))
  const port = Number(/:(\d+)/.exec(tlsEntry ?? '')?.[1])
  t.ok(port > 0, 'the image sets a TLS proxy listener')
  const node = await startImage(ENTRYPOINT, ['kong', 'docker-start'], image.env)
  t.teardown(() => node.child.kill('SIGKILL'))
  t.equal(await negotiated(port), 'h2')
  node.child.kill('SIGTERM')
  t.equal(await node.exit, 0)
})
