/** ldap-auth: authenticate users with Basic credentials checked against an LDAP server. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 1200

export const schema: PluginSchema = {
  name: 'ldap-auth',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'ldap-auth settings.',
    fields: {
      ldap_host: t.host({ required: true, description: 'LDAP server host.' }),
      ldap_port: t.port({ required: true, default: 389, description: 'LDAP server port.' }),
      ldaps: { type: 'boolean', required: true, default: false, description: 'Connect with LDAP over TLS (usually port 636).' },
      start_tls: { type: 'boolean', required: true, default: false, description: 'Upgrade the connection with StartTLS.' },
      verify_ldap_host: { type: 'boolean', required: true, default: false, description: "Verify the LDAP server's certificate." },
      base_dn: { type: 'string', required: true, description: 'Base DN searches start from.' },
      attribute: { type: 'string', required: true, description: 'Attribute the user name is searched by.' },
      cache_ttl: { type: 'number', required: true, default: 60, description: 'Seconds a successful bind is cached.' },
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Strip the credentials before proxying.' },
      timeout: { type: 'number', default: 10000, description: 'LDAP timeout in milliseconds.' },
      keepalive: { type: 'number', default: 60000, description: 'Idle LDAP connection lifetime in milliseconds.' },
      anonymous: { type: 'string', description: 'Consumer id or username used when authentication fails.' },
      header_type: { type: 'string', default: 'ldap', description: 'Scheme expected in the Authorization header.' },
      realm: { type: 'string', description: 'Realm sent in WWW-Authenticate.' },
    },
    entityChecks: [
      t.conditional('ldaps', (v) => v === true, 'start_tls', (v) => (v === false ? undefined : 'value must be false'), {
        err: "'ldaps' and 'start_tls' cannot be enabled simultaneously",
      }),
    ],
  },
}
