import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCatalogRepository } from '../../functions/catalog/catalog-repository.js';
import { createDocumentClient } from '../../functions/common/ddb.js';
import { ConflictError, ValidationError } from '../../functions/common/errors.js';
import { createLogger } from '../../functions/common/logger.js';
import { makePipeline } from '../../functions/pipeline/pipeline.js';
import { createPipelineRepository } from '../../functions/pipeline/pipeline-repository.js';
import { createServiceRepository } from '../../functions/services/service-repository.js';
import { createUpgradeRepository } from '../../functions/upgrades/upgrade-repository.js';
import { ensureTable } from '../../local/dynamodb-local.js';
import { unique } from '../support/api.js';

const TABLE = 'sluice-pipeline-locking-test';
const db = createDocumentClient({ DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'), AWS_REGION: 'us-east-1' });
const clock = { now: () => new Date() };
const services = createServiceRepository(db, TABLE);

/** One "process": its own use-case instance (and so its own in-process queue). */
const processOf = () =>
  makePipeline({
    pipeline: createPipelineRepository(db, TABLE),
    services,
    catalog: createCatalogRepository(db, TABLE),
    upgrades: createUpgradeRepository(db, TABLE, clock.now),
    schedules: { put: async () => undefined, delete: async () => undefined },
    clock,
    logger: createLogger('silent'),
  });

beforeAll(() => ensureTable(inject('dynamodbEndpoint'), TABLE));
afterAll(() => db.destroy());

describe('pipeline writes across processes', () => {
  it('serialize on the per-tenant pipeline revision: racing a→b against b→a from 8 processes leaves no cycle, no second source, no chain above 3', async () => {
    const tenantId = unique('lock');
    const now = new Date().toISOString();
    const names = Array.from({ length: 40 }, (_, index) => `s${index}`);
    await Promise.all(
      names.map((name) =>
        services.create({
          tenantId,
          project: 'p',
          name,
          componentId: 'cmp_x',
          version: '1.0.0',
          powered: true,
          instances: [],
          target: { type: 'simulated' },
          autoUpgradeChannel: 'none',
          createdAt: now,
          updatedAt: now,
          revision: 1,
        }),
      ),
    );
    const processes = Array.from({ length: 8 }, processOf);
    const body = (source: string, destination: string) => ({
      sourceProjectName: 'p',
      sourceServiceName: source,
      destinationProjectName: 'p',
      destinationServiceName: destination,
      autoValidationDelayDays: 7,
    });
    const attempts: Promise<string>[] = [];
    for (let k = 0; k < 20; k += 1) {
      const [a, b] = [`s${2 * k}`, `s${2 * k + 1}`];
      const third = `s${(2 * k + 2) % 40}`;
      for (const [index, [source, destination]] of (
        [
          [a, b],
          [b, a],
          [third, b],
        ] as const
      ).entries()) {
        const process = processes[(k * 3 + index) % processes.length]!;
        attempts.push(
          process.createStep(tenantId, body(source, destination)).then(
            () => 'created',
            (error: unknown) =>
              error instanceof ConflictError ? 'conflict' : error instanceof ValidationError ? 'refused' : Promise.reject(error),
          ),
        );
      }
    }
    const outcomes = await Promise.all(attempts);
    const graph = await createPipelineRepository(db, TABLE).graph(tenantId);
    expect(graph.edges).toHaveLength(outcomes.filter((outcome) => outcome === 'created').length);
    const destinations = graph.edges.map((edge) => edge.destination);
    expect(new Set(destinations).size).toBe(destinations.length);
    for (let k = 0; k < 20; k += 1) {
      const pair = graph.edges.filter(
        (edge) => [`p/s${2 * k}`, `p/s${2 * k + 1}`].includes(edge.source) && [`p/s${2 * k}`, `p/s${2 * k + 1}`].includes(edge.destination),
      );
      // Never both (a cycle); neither when other winners made both too long a chain.
      expect(pair.length, `pair ${k}`).toBeLessThanOrEqual(1);
    }
    // No chain above any service is longer than 2 steps (which also rules out cycles).
    const sourceOf = new Map(graph.edges.map((edge) => [edge.destination, edge.source]));
    for (const name of names) {
      let current = `p/${name}`;
      for (let hops = 0; sourceOf.has(current); hops += 1) {
        expect(hops, `chain above ${name}`).toBeLessThan(2);
        current = sourceOf.get(current) as string;
      }
    }
    expect(outcomes.filter((outcome) => outcome === 'created').length).toBeGreaterThanOrEqual(20);
    expect(graph.revision).toBe(graph.edges.length);
  }, 60_000);
});
