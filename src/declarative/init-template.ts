/** The starter file `config init` writes: valid as is, with the common entities shown commented. */
export const STARTER_CONFIG = `# A declarative configuration for kong-dbless (and Kong in DB-less mode).
# Validate it with:  kong-dbless config parse kong.yml
# Its hash:          kong-dbless config hash kong.yml  (what GET /status reports as configuration_hash)
_format_version: "3.0"
_transform: true

# services:
# - name: example-service
#   url: http://example.com
#   routes:
#   - name: example-route
#     paths:
#     - /example
#   plugins:
#   - name: key-auth

# consumers:
# - username: example-user
#   keyauth_credentials:
#   - key: my-key

# upstreams:
# - name: example-upstream
#   targets:
#   - target: 127.0.0.1:8080
#     weight: 100

# plugins:
# - name: rate-limiting
#   config:
#     minute: 60
#     policy: local
`
