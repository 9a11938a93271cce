// Builds a large, realistic kong.yml: N services with 2 routes each, a plugin on every tenth
// service, M consumers with key-auth credentials, and a few upstreams with targets.
export function generateConfig({ services = 10_000, consumers = 1_000 } = {}) {
  const out = ['_format_version: "3.0"', '_transform: true', 'services:']
  for (let i = 0; i < services; i++) {
    out.push(
      `  - name: svc-${i}`,
      `    url: http://backend-${i % 50}.internal:${8000 + (i % 100)}/api/v${i % 3}`,
      `    retries: ${i % 6}`,
      `    tags: [team-${i % 20}, tier-${i % 3}]`,
      '    routes:',
      `      - name: route-${i}-a`,
      `        paths: [/svc/${i}/items]`,
      '        methods: [GET, POST]',
      `      - name: route-${i}-b`,
      `        hosts: [svc-${i}.example.com]`,
      `        paths: ["~/svc/${i}/items/(?<id>\\\\d+)$"]`,
      '        strip_path: false',
    )
    if (i % 10 === 0) {
      out.push('    plugins:', '      - name: rate-limiting', '        config:', `          minute: ${100 + i}`, '          policy: local')
    }
  }
  out.push('consumers:')
  for (let i = 0; i < consumers; i++) {
    out.push(`  - username: user-${i}`, `    custom_id: cid-${i}`, '    keyauth_credentials:', `      - key: key-${i}-secret`)
  }
  out.push('upstreams:')
  for (let u = 0; u < 50; u++) {
    out.push(`  - name: backend-${u}.internal`, '    targets:')
    for (let t = 0; t < 4; t++) out.push(`      - target: 10.${u}.0.${t + 1}:8080`, `        weight: ${100 - t * 10}`)
  }
  out.push('plugins:', '  - name: correlation-id', '  - name: prometheus')
  return `${out.join('\n')}\n`
}
