import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

interface Shared {
  readonly started: Promise<DynamoDbLocal>;
  users: number;
}

// Vitest runs this file once per project that lists it (integration, e2e, slow), each time
// in that project's own module graph, but all in the one main process: the instance lives
// on globalThis so that the first project to set up starts it and the last to tear down stops it.
const KEY = '__sluiceTestDynamoDbLocal';
const shared = globalThis as typeof globalThis & { [KEY]?: Shared };

/** Starts one in-memory DynamoDB Local (the real one, not a mock) for the whole run. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const state = (shared[KEY] ??= { started: startDynamoDbLocal(), users: 0 });
  state.users += 1;
  let dynamodb: DynamoDbLocal;
  try {
    dynamodb = await state.started;
  } catch (error) {
    if (shared[KEY] === state) delete shared[KEY];
    throw error;
  }
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  return async () => {
    state.users -= 1;
    if (state.users > 0) return;
    if (shared[KEY] === state) delete shared[KEY];
    await dynamodb.stop();
  };
}
