// Runs every benchmark; exits 1 if any missed its target. Each prints ratios against a
// baseline measured in the same run, so figures compare across machines. The proxy and TLS
// benches pin processes to CPUs; the soak runs last and for SOAK_SECONDS (150 by default);
// `BENCH_SKIP_SOAK=1` leaves it out.
const benches = ['./config-load.js', './router.js', './status.js', './cluster-sync.js', './proxy.js', './tls.js']
if (process.env.BENCH_SKIP_SOAK !== '1') benches.push('./soak.js')
let ok = true
for (const path of benches) {
  const mod = await import(path)
  ok = (await mod.run()) && ok
}
process.exitCode = ok ? 0 : 1
