/** What the webhooks API accepts (routes/admin-webhooks.ts). */
import * as v from 'valibot'
import { DELIVERY_ID } from '../webhooks/events'

export const DeliveryIdParam = v.strictObject({
  id: v.pipe(v.string(), v.regex(DELIVERY_ID, 'is not a delivery id (wh-<uuid>)'), v.description('The delivery id, wh-<uuid>.')),
})
