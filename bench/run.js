// Runs every benchmark; exits 1 if any missed its target. Each prints ratios against a
// baseline measured in the same run, so figures compare across machines.
const benches = ['./config-load.js', './status.js']
let ok = true
for (const path of benches) {
  const mod = await import(path)
  ok = (await mod.run()) && ok
}
process.exitCode = ok ? 0 : 1
