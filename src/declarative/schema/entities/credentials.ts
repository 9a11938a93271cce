/** Credentials of the bundled auth plugins: key-auth keys, basic-auth passwords and acl groups. */
import { createHash, randomBytes } from 'node:crypto'
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf } from '../types.js'

const consumer = t.foreign('consumers', { required: true, description: 'The consumer owning this credential.' })

export const keyauthCredentials = defineEntity({
  name: 'keyauth_credentials',
  singular: 'keyauth_credential',
  endpointKey: 'key',
  cacheKey: ['key'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the key was created (seconds).'),
    consumer,
    key: { type: 'string', unique: true, auto: true, description: 'The API key; a random one is generated when absent.' },
    ttl: { type: 'integer', description: 'Seconds until the key expires.' },
    tags: t.tags(),
  },
  fillAuto: (record) => {
    if (record.key === null) record.key = randomBytes(16).toString('hex')
  },
})
/** A stored keyauthCredentials entity. */
export type KeyauthCredential = EntityOf<typeof keyauthCredentials>

export const basicauthCredentials = defineEntity({
  name: 'basicauth_credentials',
  singular: 'basicauth_credential',
  endpointKey: 'username',
  cacheKey: ['username'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the credential was created (seconds).'),
    consumer,
    username: { type: 'string', required: true, unique: true, description: 'Basic-auth user name.' },
    password: { type: 'string', required: true, description: 'Password; stored as sha1(password .. consumer id) when _transform is true.' },
    tags: t.tags(),
  },
  transform: (record) => {
    const owner = (record.consumer as { id: string }).id
    record.password = createHash('sha1').update(`${record.password as string}${owner}`).digest('hex')
  },
})
/** A stored basicauthCredentials entity. */
export type BasicauthCredential = EntityOf<typeof basicauthCredentials>

export const acls = defineEntity({
  name: 'acls',
  singular: 'acl',
  cacheKey: ['consumer', 'group'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the group membership was created (seconds).'),
    consumer,
    group: { type: 'string', required: true, description: 'The group name.' },
    tags: t.tags(),
  },
})
/** A stored acls entity. */
export type Acl = EntityOf<typeof acls>
