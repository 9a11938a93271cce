/** The `consumers` entity: an API client that credentials and plugins attach to. */
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf } from '../types.js'

export const consumers = defineEntity({
  name: 'consumers',
  singular: 'consumer',
  endpointKey: 'username',
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the consumer was created (seconds).'),
    updated_at: t.timestamp('When the consumer was last updated (seconds).'),
    username: { type: 'string', unique: true, description: 'Unique user name.' },
    custom_id: { type: 'string', unique: true, description: 'Unique id from an external system.' },
    tags: t.tags(),
  },
  entityChecks: [t.atLeastOneOf(['custom_id', 'username'])],
})
/** A stored consumers entity. */
export type Consumer = EntityOf<typeof consumers>
