import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { BatchResponse, StreamRecord } from '../adapters/dynamodb/family-stream.ts';
import { handleStreamBatch } from '../adapters/dynamodb/stream-batch.ts';
import { signSet } from '../events/set.ts';
import { epochSeconds } from '../oauth/clock.ts';
import { jsonLogger } from '../observability/logger.ts';
import { emfMetrics } from '../observability/metrics.ts';
import { withRequestContext } from '../observability/request-context.ts';
import {
  readCoreEnvironment,
  readEventsEnvironment,
  readRotationHistory,
  readSecurityEventTokens,
  readSignerEnvironment,
  readStage,
  readStoreEnvironment,
} from '../runtime/environment.ts';
import { eventPublisherFor, publishedEventsFor } from '../runtime/event-publisher.ts';
import { type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { rotationHistoryStore } from '../runtime/history-store.ts';
import { lazy } from '../runtime/lazy.ts';
import { signerFromEnvironment } from '../runtime/signer.ts';
import { storeServices } from '../runtime/store.ts';

/** A stream handler, as Lambda's event source mapping calls it (the local poller gives no context). */
export type StreamHandler = (event: { readonly Records: readonly StreamRecord[] }, context?: Pick<Context, 'awsRequestId'>) => Promise<BatchResponse>;

/**
 * The table's stream (the records the event source's filter lets through): publishes the security
 * events the changes show, and keeps every rotation for the family timeline. Off the request
 * path, at least once. Not behind the API.
 */
export function createHandler(runtime: HandlerRuntime): StreamHandler {
  const stage = readStage(runtime.env);
  const store = storeServices(readStoreEnvironment(runtime.env), runtime.clock, runtime.aws?.dynamodb);
  const history = readRotationHistory(runtime.env) ? rotationHistoryStore(store) : undefined;
  const logger = jsonLogger(runtime.write);
  const metrics = emfMetrics(stage, runtime.write);
  const publisher = eventPublisherFor(runtime, readEventsEnvironment(runtime.env), logger);
  const published = publishedEventsFor(store);
  let sign: Parameters<typeof handleStreamBatch>[1]['sign'];
  if (readSecurityEventTokens(runtime.env)) {
    const { issuer } = readCoreEnvironment(runtime.env);
    const signerEnvironment = readSignerEnvironment(runtime.env);
    const signer = lazy(() => signerFromEnvironment(signerEnvironment, runtime.aws?.kms));
    sign = (event) => signSet(event, issuer, epochSeconds(runtime.clock), signer());
  }
  // Every line of an invocation names it, as the API functions' lines name their request.
  return (event, context) => withRequestContext({ request_id: context?.awsRequestId ?? randomUUID() }, () => handle(event));
  async function handle(event: { readonly Records: readonly StreamRecord[] }): Promise<BatchResponse> {
    try {
      return await handleStreamBatch(event.Records, {
        stage,
        clock: runtime.clock,
        history: history?.(),
        published: published(),
        publisher: publisher(),
        sign,
        logger,
        metrics,
      });
    } finally {
      // Lambda may freeze the process as soon as the handler returns.
      metrics.flush();
    }
  }
}
