import { ADMIN_TOKEN, type BenchEnvironment } from './environment.ts';
import { cloneCodes, codeExchangeForm, type BenchClient, type BenchFamily, type Item } from './fixtures.ts';
import { expectJson, expectTokens, form, RequestFailed, type HttpClient } from './http.ts';
import type { CallRecorder, RecordedCall } from './recorder.ts';
import { mode } from './stats.ts';

/** DynamoDB calls of one operation, over several sequential samples with the client cache warm. */
export interface CallsRow {
  readonly operation: string;
  /** The most frequent number of calls (steady state). */
  readonly calls: number;
  readonly min: number;
  readonly max: number;
  /** The commands of a sample with the modal count, in order. */
  readonly commands: readonly string[];
}

export interface CallsResult {
  readonly rows: CallsRow[];
  /** The UpdateItem a steady-state refresh sent, to check the floor writes the same shape. */
  readonly refreshWrite: Record<string, unknown> | undefined;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

function row(operation: string, samples: RecordedCall[][]): CallsRow {
  const counts = samples.map((calls) => calls.length);
  const calls = mode(counts);
  const typical = samples.find((sample) => sample.length === calls) ?? [];
  return {
    operation,
    calls,
    min: Math.min(...counts),
    max: Math.max(...counts),
    commands: typical.map(({ command }) => command.replace(/Command$/, '')),
  };
}

/**
 * Counts the DynamoDB calls of each token-function operation, one request at a time over
 * HTTP. Before each operation's samples, the same operation runs once unrecorded, so the
 * client record, the revoke-all markers and the lifetimes are cached as in a warm Lambda.
 */
export async function measureCalls(
  env: BenchEnvironment,
  recorder: CallRecorder,
  http: HttpClient,
  clients: { app: BenchClient; api: BenchClient },
  codeTemplate: Item,
  families: readonly BenchFamily[],
  samples: number,
): Promise<CallsResult> {
  const { app, api } = clients;
  const asApp = { authorization: app.authorization };
  const rows: CallsRow[] = [];
  const record = async (operation: () => Promise<unknown>) => (await recorder.during(operation)).calls;
  const measure = async (name: string, operation: (index: number) => Promise<unknown>) => {
    await operation(samples);
    const recorded: RecordedCall[][] = [];
    for (let index = 0; index < samples; index += 1) recorded.push(await record(() => operation(index)));
    rows.push(row(name, recorded));
    return recorded;
  };
  const exchange = async (code: { code: string; verifier: string }) =>
    expectTokens('code exchange', await http.postForm('/token', codeExchangeForm(code), asApp), ['access_token', 'refresh_token']);
  const codes = await cloneCodes(env, codeTemplate, 4 * (samples + 1));
  const nextCode = () => {
    const code = codes.pop();
    if (!code) throw new Error('out of codes');
    return code;
  };
  const expect200 = async (path: string, fields: Record<string, string>) => {
    const answer = await http.send('POST', path, form(fields), { 'content-type': 'application/x-www-form-urlencoded', ...asApp });
    if (answer.status !== 200) throw new RequestFailed(`POST ${path}`, answer.status, answer.body);
  };

  await measure('client_credentials', () => http.postForm('/token', { grant_type: 'client_credentials' }, { authorization: api.authorization }));
  await measure('authorization_code', () => exchange(nextCode()));
  const refreshes = await measure('refresh_token (steady family)', async (index) => {
    const family = families[index % families.length]!;
    const body = expectTokens('refresh', await http.postForm('/token', { grant_type: 'refresh_token', refresh_token: family.token }, asApp), ['refresh_token']);
    family.token = body['refresh_token']!;
  });

  // Device flow: authorization, a first poll (pending), approval, the poll that issues tokens.
  const device = { authorizations: [] as RecordedCall[][], pending: [] as RecordedCall[][], approved: [] as RecordedCall[][] };
  for (let index = 0; index <= samples; index += 1) {
    const measured = index > 0;
    let started: Record<string, unknown> = {};
    const authorizing = await record(async () => {
      started = await http.postForm('/device_authorization', { scope: 'openid offline_access orders:read' }, asApp);
    });
    const poll = () => http.send('POST', '/token', form({ grant_type: DEVICE_GRANT, device_code: String(started['device_code']) }), {
      'content-type': 'application/x-www-form-urlencoded',
      ...asApp,
    });
    const pending = await record(async () => {
      const answer = await poll();
      if (answer.status !== 400 || !answer.body.includes('authorization_pending')) throw new RequestFailed('first device poll', answer.status, answer.body);
    });
    const accepted = await fetch(`${env.url}/admin/device-requests/${String(started['user_code'])}/accept`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'bench-user' }),
    });
    expectJson('device accept', { status: accepted.status, body: await accepted.text() }, 200);
    const approved = await record(async () => expectTokens('device poll', expectJson('approved device poll', await poll(), 200), ['access_token']));
    if (measured) {
      device.authorizations.push(authorizing);
      device.pending.push(pending);
      device.approved.push(approved);
    }
  }
  rows.push(row('device_authorization', device.authorizations), row('device_code (pending poll)', device.pending), row('device_code (approved poll)', device.approved));

  const fresh: Array<Record<string, string>> = [];
  for (let index = 0; index < 2 * (samples + 1); index += 1) fresh.push(await exchange(nextCode()));
  const forRevoke = fresh.splice(0, samples + 1);
  const forIntrospect = fresh;
  await measure('revoke (refresh token)', (index) => expect200('/revoke', { token: forRevoke[index]!['refresh_token']! }));
  await measure('revoke (access token)', (index) => expect200('/revoke', { token: forRevoke[index]!['access_token']! }));
  await measure('introspect (refresh token)', (index) => expect200('/introspect', { token: forIntrospect[index]!['refresh_token']! }));
  await measure('introspect (access token, first)', (index) => expect200('/introspect', { token: forIntrospect[index]!['access_token']! }));
  await measure('introspect (access token, cached)', (index) => expect200('/introspect', { token: forIntrospect[index]!['access_token']! }));

  const write = refreshes.flat().filter((call) => call.command === 'UpdateItemCommand').at(-1);
  return { rows, refreshWrite: write?.input };
}
