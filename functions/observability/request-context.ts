import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line of one request carries, so a line can be traced to its invocation. */
export interface RequestContext {
  /** Lambda's `awsRequestId`. */
  readonly request_id: string;
  /** X-Ray's trace id (`_X_AMZN_TRACE_ID`), when active tracing is on (the lines are JSON: undefined, it is left out). */
  readonly trace_id?: string | undefined;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `work` with `context` as the current request's. An AsyncLocalStorage rather than a
 * variable set per invocation: the local server runs many requests of one handler at once.
 */
export function withRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The current request's context, if code runs inside one. */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
