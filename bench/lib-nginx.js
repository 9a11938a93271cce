// nginx in the pinned benches: the upstream (`return 200 'ok'`, as the shared harness's), or when
// nginx is not installed bench/proxy-upstream.js; and the configuration every bench nginx shares
// (1 worker, no access log, keep-alive without a request cap, temp paths in its own folder).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { exchange } from './lib-load.js'
import { cleanEnv, freePort, startGroup, waitReady } from './lib-procs.js'

const UPSTREAM = join(import.meta.dirname, 'proxy-upstream.js')

/**
 * Writes `dir`/nginx.conf: the shared settings, then `http` (more directives of the http block),
 * then `server` (the server block's contents). Returns the argv that starts it in the foreground.
 */
export function nginxCommand(dir, { http = '', server }) {
  mkdirSync(join(dir, 'logs'), { recursive: true })
  const conf = join(dir, 'nginx.conf')
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  default_type text/plain;
  keepalive_timeout 75s;
  keepalive_requests 10000000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}  server {
${server}
  }
}
`,
  )
  return ['nginx', '-p', dir, '-e', join(dir, 'logs', 'error.log'), '-c', conf]
}

/**
 * Starts the upstream on the load CPU (ctx.upstream: nginx or node) and waits for its 200.
 * Returns { g, port, url, body } (body: what it answers, which a proxy must pass on).
 */
export async function startUpstream(ctx) {
  const port = await freePort()
  const argv =
    ctx.upstream === 'nginx'
      ? nginxCommand(join(ctx.tmp, 'upstream-nginx'), { server: `    listen 127.0.0.1:${port} backlog=4096;\n    location / { return 200 'ok'; }` })
      : [process.execPath, UPSTREAM]
  const g = startGroup(argv, { cpu: ctx.loadCpu, pin: ctx.pin, env: cleanEnv({ UPSTREAM_HOST: '127.0.0.1', UPSTREAM_PORT: String(port) }), log: join(ctx.tmp, 'upstream.log') })
  let body
  const ready = await waitReady(
    g,
    async () => {
      const r = await exchange(`http://127.0.0.1:${port}/`)
      body = r.body
      return r.status === 200 || `${r.status}`
    },
    10,
  )
  if (ready.error) throw new Error(`the upstream (${ctx.upstream}) did not answer 200: ${ready.error}`)
  return { g, port, url: `http://127.0.0.1:${port}`, body }
}
