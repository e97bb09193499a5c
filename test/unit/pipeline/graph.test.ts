import { describe, expect, it } from 'vitest';
import { downstreamDepth, type Edge, refuseEdge, upstreamOf } from '../../../functions/pipeline/graph.js';
import { nextWindowStart } from '../../../functions/pipeline/maintenance-window.js';
import { atExpression, parseAtExpression, upgradeScheduleName, validationScheduleName } from '../../../functions/pipeline/schedules.js';

const edges = (...pairs: [string, string][]): Edge[] =>
  pairs.map(([source, destination], index) => ({ stepId: `s${index}`, source, destination }));

describe('refuseEdge', () => {
  it('accepts a first step, a second destination of a source, and a chain of 3', () => {
    expect(refuseEdge([], { source: 'a', destination: 'b' })).toBeUndefined();
    expect(refuseEdge(edges(['a', 'b']), { source: 'a', destination: 'c' })).toBeUndefined();
    expect(refuseEdge(edges(['a', 'b']), { source: 'b', destination: 'c' })).toBeUndefined();
    expect(refuseEdge(edges(['b', 'c']), { source: 'a', destination: 'b' })).toBeUndefined();
  });

  it('refuses a service as its own source, a second source, a cycle and a 4-service chain', () => {
    expect(refuseEdge([], { source: 'a', destination: 'a' })?.code).toBe('SAME_SERVICE');
    expect(refuseEdge(edges(['a', 'c']), { source: 'b', destination: 'c' })).toMatchObject({
      code: 'DESTINATION_HAS_SOURCE',
      stepId: 's0',
    });
    expect(refuseEdge(edges(['a', 'b']), { source: 'b', destination: 'a' })?.code).toBe('CYCLE');
    expect(refuseEdge(edges(['a', 'b'], ['b', 'c']), { source: 'c', destination: 'a' })?.code).toBe('CYCLE');
    expect(refuseEdge(edges(['a', 'b'], ['b', 'c']), { source: 'c', destination: 'd' })).toMatchObject({
      code: 'CHAIN_TOO_LONG',
      services: 4,
    });
    expect(refuseEdge(edges(['a', 'b'], ['b', 'c']), { source: 'x', destination: 'a' })).toMatchObject({
      code: 'CHAIN_TOO_LONG',
      services: 4,
    });
    // Joining two chains of 2 makes 4.
    expect(refuseEdge(edges(['a', 'b'], ['c', 'd']), { source: 'b', destination: 'c' })).toMatchObject({
      code: 'CHAIN_TOO_LONG',
      services: 4,
    });
  });

  it('measures upstream chains and downstream depth', () => {
    const graph = edges(['a', 'b'], ['b', 'c'], ['a', 'd']);
    expect(upstreamOf(graph, 'c')).toEqual(['b', 'a']);
    expect(upstreamOf(graph, 'a')).toEqual([]);
    expect(downstreamDepth(graph, 'a')).toBe(2);
    expect(downstreamDepth(graph, 'd')).toBe(0);
  });
});

describe('nextWindowStart', () => {
  const window = { dayOfWeek: 'sunday', startHour: 2, durationHours: 4 } as const;
  it('is now while the window is open', () => {
    const inside = new Date('2024-01-07T03:30:00Z'); // a Sunday
    expect(nextWindowStart(window, inside)).toEqual(inside);
  });
  it('is the next opening otherwise, this week or next', () => {
    expect(nextWindowStart(window, new Date('2024-01-01T12:00:00Z')).toISOString()).toBe('2024-01-07T02:00:00.000Z');
    expect(nextWindowStart(window, new Date('2024-01-07T01:59:00Z')).toISOString()).toBe('2024-01-07T02:00:00.000Z');
    expect(nextWindowStart(window, new Date('2024-01-07T06:00:00Z')).toISOString()).toBe('2024-01-14T02:00:00.000Z');
  });
  it('handles a window that runs past midnight', () => {
    const late = { dayOfWeek: 'saturday', startHour: 23, durationHours: 3 } as const;
    expect(nextWindowStart(late, new Date('2024-01-07T01:00:00Z')).toISOString()).toBe('2024-01-07T01:00:00.000Z');
  });
});

describe('schedule names and expressions', () => {
  it('are deterministic, within 64 characters of [0-9a-zA-Z-_.]', () => {
    const name = validationScheduleName('stp_0abc', '1.2.3-rc.1+build.7');
    expect(name).toBe('val-stp_0abc-1.2.3-rc.1_build.7');
    expect(validationScheduleName('stp_0abc', '1.2.3-rc.1+build.7')).toBe(name);
    const long = validationScheduleName(`stp_${'x'.repeat(36)}`, `1.2.3-${'a'.repeat(60)}`);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^[0-9a-zA-Z_.-]+$/);
    const upgrade = upgradeScheduleName('acme', 'prod', 'pg', '16.1.0');
    expect(upgrade).toMatch(/^upg-[0-9a-f]{40}$/);
    expect(upgradeScheduleName('acme', 'prod', 'pg', '16.1.0')).toBe(upgrade);
  });

  it('writes at() in UTC rounded up to the second, and reads it back', () => {
    expect(atExpression(new Date('2024-03-04T17:27:00.250Z'))).toBe('at(2024-03-04T17:27:01)');
    expect(parseAtExpression('at(2024-03-04T17:27:01)')?.toISOString()).toBe('2024-03-04T17:27:01.000Z');
    expect(parseAtExpression('rate(5 minutes)')).toBeUndefined();
  });
});
