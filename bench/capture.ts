import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A command the SDK can send: what `client.send` takes. */
export type AnyCommand = Parameters<DynamoDBClient['send']>[0];

class Captured extends Error {}

/**
 * The command a product adapter would send, without sending it: `use` gets a client whose
 * `send` keeps the command and stops. The floor sends these commands itself, so it writes
 * exactly what the service writes (same expressions, same attributes) with nothing around it.
 */
export async function commandOf(use: (client: DynamoDBClient) => Promise<unknown>): Promise<AnyCommand> {
  let command: AnyCommand | undefined;
  const capturing = {
    send: async (sent: AnyCommand) => {
      // The first command the adapter sends is the one it waits for first.
      command ??= sent;
      throw new Captured('captured');
    },
  } as unknown as DynamoDBClient;
  try {
    await use(capturing);
  } catch (error) {
    if (!(error instanceof Captured)) throw error;
  }
  if (!command) throw new Error('the adapter sent no DynamoDB command');
  return command;
}

/** The command's input, for comparisons and keys. */
export function inputOf(command: AnyCommand): Record<string, unknown> {
  return (command as unknown as { input: Record<string, unknown> }).input;
}
