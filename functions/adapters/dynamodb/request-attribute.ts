import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { currentRequestContext } from '../../observability/request-context.ts';
import { s } from './attributes.ts';

/**
 * The current request's id (Lambda's `awsRequestId`) as the `request_id` attribute of an item a
 * security event is read from (a revoked family, a marker, a login answered, a client), so the
 * event names the request that caused it. Nothing outside a request.
 */
export function requestIdAttribute(): Record<string, AttributeValue> {
  const id = currentRequestContext()?.request_id;
  return id === undefined ? {} : { request_id: s(id) };
}

/** The same for an update: `, request_id = :request_id` to append to a SET clause, and its value. */
export function requestIdUpdate(): { readonly set: string; readonly values: Record<string, AttributeValue> } {
  const attribute = requestIdAttribute();
  return attribute['request_id'] === undefined ? { set: '', values: {} } : { set: ', request_id = :request_id', values: { ':request_id': attribute['request_id'] } };
}
