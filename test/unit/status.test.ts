import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { assertLegalTransition, STATUSES, sourcesOf, TRANSITIONS } from '../../functions/domain/status.js';
import { createUpgradeRepository } from '../../functions/upgrades/upgrade-repository.js';

describe('assertLegalTransition', () => {
  it('accepts every edge of the status table, alone and as the full list of sources', () => {
    for (const to of STATUSES) {
      const sources = sourcesOf(to);
      if (sources.length === 0) continue;
      expect(() => assertLegalTransition(sources, to)).not.toThrow();
      for (const from of sources) expect(() => assertLegalTransition([from], to)).not.toThrow();
    }
  });

  it('refuses every pair the table does not list, naming the legal sources', () => {
    let refused = 0;
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        if (TRANSITIONS[from].includes(to)) continue;
        expect(() => assertLegalTransition([from], to)).toThrow(`Not a legal transition: ${from} -> ${to}`);
        refused += 1;
      }
    }
    expect(refused).toBe(STATUSES.length ** 2 - Object.values(TRANSITIONS).flat().length);
  });

  it('refuses a list in which one source is illegal, and an empty list', () => {
    expect(() => assertLegalTransition(['IN_PROGRESS', 'PENDING'], 'COMPLETED')).toThrow('PENDING -> COMPLETED');
    expect(() => assertLegalTransition([], 'CANCELLED')).toThrow('(no source)');
  });
});

describe('UpgradeRepository.transition', () => {
  it('refuses an edge outside the table before it reads or writes anything', async () => {
    const calls: unknown[] = [];
    const db = { send: async (command: unknown) => void calls.push(command) } as unknown as DynamoDBDocumentClient;
    const repository = createUpgradeRepository(db, 'unused', () => new Date());
    await expect(
      repository.transition('tenant', 'upg_1', { from: ['COMPLETED'], to: 'IN_PROGRESS', event: { type: 'UpgradeResumed' } }),
    ).rejects.toThrow('Not a legal transition: COMPLETED -> IN_PROGRESS');
    expect(calls).toEqual([]);
  });
});
