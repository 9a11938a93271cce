// The load generator of bench/proxy.js when wrk is not installed (or PROXY_BENCH_LOADGEN=
// autocannon): one autocannon run, then one line `BENCH_JSON {...}` with the same fields as the
// wrk reporter there (latencies in microseconds). autocannon's own histogram keeps whole
// milliseconds, too coarse for a 1.5 ms p99 target, so latencies are taken from its `response`
// events (float milliseconds) instead.
//
//   node bench/proxy-autocannon.js '{"url":"http://127.0.0.1:8000/","connections":50,"duration":10,"headers":{}}'
import autocannon from 'autocannon'

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
const elapsedUs = (performance.now() - t0) * 1000
latencies.sort((a, b) => a - b)
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] * 1000 : NaN)
const mean = latencies.length ? (latencies.reduce((a, b) => a + b, 0) / latencies.length) * 1000 : NaN
console.log(
  `BENCH_JSON ${JSON.stringify({
    requests: responses,
    duration_us: Math.round(elapsedUs),
    bytes: result.throughput.total,
    err_connect: 0,
    err_read: result.errors - result.timeouts,
    err_write: 0,
    err_status: non2xx,
    err_timeout: result.timeouts,
    p50_us: Math.round(pct(50)),
    p90_us: Math.round(pct(90)),
    p99_us: Math.round(pct(99)),
    p999_us: Math.round(pct(99.9)),
    max_us: Math.round(latencies.length ? latencies[latencies.length - 1] * 1000 : NaN),
    mean_us: Math.round(mean * 10) / 10,
  })}`,
)
