// The load generator of bench/proxy.js and bench/tls.js when wrk is not installed (or
// PROXY_BENCH_LOADGEN / TLS_BENCH_LOADGEN=autocannon): one autocannon run (http or https), then one
// line `BENCH_JSON {...}` with the same fields as the wrk reporter (latencies in microseconds).
// autocannon's own histogram keeps whole milliseconds, too coarse for a 1.5 ms p99 target, so
// latencies are taken from its `response` events (float milliseconds) instead.
//
//   node bench/proxy-autocannon.js '{"url":"http://127.0.0.1:8000/","connections":50,"duration":10,"headers":{}}'
import autocannon from 'autocannon'
import { printBenchJson } from './lib-report.js'

const { url, connections, duration, headers = {} } = JSON.parse(process.argv[2])
const latencies = []
let responses = 0
let non2xx = 0
const t0 = performance.now()
const instance = autocannon({ url, connections, duration, headers, pipelining: 1 })
instance.on('response', (_client, statusCode, _bytes, ms) => {
  responses++
  if (statusCode < 200 || statusCode > 399) non2xx++
  else latencies.push(ms)
})
const result = await instance
printBenchJson(latencies, {
  requests: responses,
  elapsedUs: (performance.now() - t0) * 1000,
  bytes: result.throughput.total,
  errors: { read: result.errors - result.timeouts, status: non2xx, timeout: result.timeouts },
})
