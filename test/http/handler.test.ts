import { describe, expect, it } from 'vitest';
import { inRequestContext, lambdaHandler } from '../../functions/http/handler.ts';
import { json } from '../../functions/http/response.ts';
import { TemporarilyUnavailable } from '../../functions/oauth/errors.ts';
import { jsonLogger } from '../../functions/observability/logger.ts';
import { emfMetrics } from '../../functions/observability/metrics.ts';
import { apiEvent } from '../support/events.ts';

const context = (awsRequestId: string) => ({ awsRequestId }) as never;

function sinks() {
  const lines: string[] = [];
  const write = (line: string) => lines.push(line);
  return { lines, logger: jsonLogger(write), metrics: emfMetrics('test', write) };
}

describe('the Lambda handler: every line names its request', () => {
  it('log and EMF lines carry the Lambda request id, each request its own, also when requests overlap', async () => {
    const { lines, logger, metrics } = sinks();
    const handler = lambdaHandler(
      {
        'GET /work': async (request) => {
          logger.info('working', { n: request.query.get('n') });
          await new Promise((resolve) => setTimeout(resolve, Number(request.query.get('wait'))));
          metrics.count('TokensIssued');
          logger.info('done', { n: request.query.get('n') });
          return json(200, {});
        },
      },
      { logger, metrics: () => metrics },
    );
    const event = (n: string, wait: number) => apiEvent({ path: '/work', query: `n=${n}&wait=${wait}` });
    await Promise.all([handler(event('1', 30), context('request-1')), handler(event('2', 5), context('request-2'))]);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const logs = records.filter((record) => record['event'] !== undefined);
    expect(logs).toHaveLength(4);
    for (const record of logs) expect(record['request_id']).toBe(`request-${String(record['n'])}`);
    const emf = records.filter((record) => record['_aws'] !== undefined);
    expect(emf.length).toBeGreaterThan(0);
    for (const record of emf) expect(record['request_id']).toMatch(/^request-[12]$/);
  });

  it('with X-Ray active tracing, lines carry the trace id Lambda sets for the invocation', async () => {
    const lines: string[] = [];
    const logger = jsonLogger((line) => lines.push(line));
    const env: Record<string, string | undefined> = {};
    const handler = inRequestContext(async () => logger.info('traced'), env);
    const traceId = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    env['_X_AMZN_TRACE_ID'] = traceId;
    await handler({}, context('request-3'));
    delete env['_X_AMZN_TRACE_ID'];
    await handler({}, context('request-4'));
    const [traced, untraced] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(traced).toMatchObject({ request_id: 'request-3', trace_id: traceId });
    expect(untraced).toMatchObject({ request_id: 'request-4' });
    expect(untraced).not.toHaveProperty('trace_id');
  });

  it('answers a dependency failure 503 temporarily_unavailable with Retry-After, and logs which dependency', async () => {
    const { lines, logger } = sinks();
    const handler = lambdaHandler(
      {
        'GET /down': async () => {
          throw new TemporarilyUnavailable(2, undefined, { cause: new Error('KMS unavailable (ThrottlingException: Rate exceeded)') });
        },
      },
      { logger },
    );
    const response = (await handler(apiEvent({ path: '/down' }), context('request-5'))) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('2');
    expect(JSON.parse(response.body)).toEqual({ error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable: retry the request' });
    expect(response.body).not.toContain('KMS');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', event: 'dependency_unavailable', request_id: 'request-5', error: expect.stringContaining('KMS') });
  });
});
