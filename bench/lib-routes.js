// The kong.yml of the pinned benches (bench/proxy.js, bench/tls.js): routes to one upstream, the
// route the load hits among decoys that match it too or outrank it without matching.

/** The request the load sends: the route `hit` serves it. */
export const HIT = { host: 'svc-hit.bench.test', path: '/api/v1/hit/items' }
/** A request no route matches. */
export const MISS = { host: 'nothing.bench.test', path: '/no/route/here' }

const q = (s) => JSON.stringify(s) // a YAML double-quoted scalar (JSON escapes are YAML's)

/**
 * A kong.yml of `count` routes, every service pointing at the upstream. The route the load hits
 * (`hit`: Host svc-hit.bench.test, prefix /api/v1/hit, GET) sits a little past the middle of the file, among:
 * routes that match the same request but rank lower (a wildcard host, a shorter prefix on the
 * same host, the same prefix without a host) and routes that rank higher or as high but do not
 * match (a longer prefix, a regex with regex_priority 10, the same route for POST only, the same
 * route plus a header; and a quarter of the rest: host + longer /api/vN/... prefix + GET). The
 * rest: plain hosts, wildcard hosts, prefixes, and 5% regex paths.
 */
export function routesConfig(count, upstreamUrl) {
  const special = [
    { name: 'decoy-wildcard', hosts: ['*.bench.test'], paths: ['/api'] },
    { name: 'decoy-short-prefix', hosts: [HIT.host], paths: ['/api/v1'] },
    { name: 'decoy-longer-prefix', hosts: [HIT.host], paths: ['/api/v1/hit/items-archive'] },
    { name: 'decoy-regex', hosts: [HIT.host], paths: ['~/api/v1/hit/items/\\d+$'], regex_priority: 10 },
    { name: 'hit', hosts: [HIT.host], paths: ['/api/v1/hit'], methods: ['GET'] },
    { name: 'decoy-no-host', paths: ['/api/v1/hit'] },
    { name: 'decoy-post', hosts: [HIT.host], paths: ['/api/v1/hit'], methods: ['POST'] },
    { name: 'decoy-header', hosts: [HIT.host], paths: ['/api/v1/hit'], methods: ['GET'], headers: { 'x-tenant': ['gold'] } },
  ]
  if (count < special.length + 2) throw new Error(`a config needs at least ${special.length + 2} routes`)
  // Spread over the file in this order: the hit a little past the middle, decoys on both sides.
  const at = new Map(special.map((r, k) => [Math.floor(((k + 1) * count) / (special.length + 1)), r]))
  if (at.size !== special.length) throw new Error('special routes collide')
  const filler = (i) => {
    if (i % 20 === 7) return { name: `r-${i}`, hosts: i % 40 === 7 ? [`h${i % 500}.bench.test`] : undefined, paths: [`~/r${i}/items/(?<id>\\d+)$`], regex_priority: i % 3 }
    switch (i % 4) {
      case 0:
        return { name: `r-${i}`, hosts: [`h${i}.bench.test`], paths: [`/p${i}`] }
      case 1:
        return { name: `r-${i}`, hosts: [`*.w${i % 200}.bench.test`], paths: [`/w${i}`] }
      case 2:
        return { name: `r-${i}`, paths: [`/p${i}/items`, `/q${i}`], methods: ['GET', 'POST'] }
      default:
        return { name: `r-${i}`, hosts: [`h${i % 500}.bench.test`, `alt-${i % 97}.bench.test`], paths: [`/api/v${i % 7}/x${i}`], methods: ['GET'] }
    }
  }
  const perService = count <= 100 ? 2 : 20
  const out = ['_format_version: "3.0"', 'services:']
  for (let i = 0; i < count; i++) {
    if (i % perService === 0) out.push(`  - name: svc-${i / perService}`, `    url: ${q(upstreamUrl)}`, '    routes:')
    const r = at.get(i) ?? filler(i)
    out.push(`      - name: ${q(r.name)}`)
    if (r.hosts) out.push(`        hosts: [${r.hosts.map(q).join(', ')}]`)
    out.push(`        paths: [${r.paths.map(q).join(', ')}]`)
    if (r.methods) out.push(`        methods: [${r.methods.join(', ')}]`)
    if (r.headers) out.push(`        headers: {${Object.entries(r.headers).map(([k, v]) => `${q(k)}: [${v.map(q).join(', ')}]`).join(', ')}}`)
    if (r.regex_priority) out.push(`        regex_priority: ${r.regex_priority}`)
  }
  return `${out.join('\n')}\n`
}
