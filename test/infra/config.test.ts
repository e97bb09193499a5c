import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, readSluiceConfig, SluiceConfigError } from '../../lib/config.js';

const REQUIRED = { 'sluice:jwtIssuer': 'https://issuer.example.com', 'sluice:jwtAudience': 'sluice' };
const configOf = (context: Record<string, unknown>) => readSluiceConfig(new App({ context }));

describe('readSluiceConfig', () => {
  it('fills every optional setting with its default', () => {
    expect(configOf(REQUIRED)).toEqual({
      jwtIssuer: 'https://issuer.example.com',
      jwtAudience: ['sluice'],
      ...CONFIG_DEFAULTS,
    });
  });

  it('reads the string spellings that `-c key=value` produces', () => {
    const config = configOf({
      ...REQUIRED,
      'sluice:jwtAudience': 'cli, console',
      'sluice:deletionProtection': 'false',
      'sluice:tracing': 'true',
      'sluice:logRetentionDays': '90',
      'sluice:throttleRateLimit': '10',
      'sluice:tenantClaim': 'org',
      'sluice:eventBusName': 'sluice-events-dev',
      'sluice:jwtScopes': 'sluice/api, sluice:write',
      'sluice:alarmEmail': ' ops+sluice@example.co.uk ',
    });
    expect(config).toMatchObject({
      jwtAudience: ['cli', 'console'],
      deletionProtection: false,
      tracing: true,
      logRetention: RetentionDays.THREE_MONTHS,
      throttleRateLimit: 10,
      tenantClaim: 'org',
      eventBusName: 'sluice-events-dev',
      jwtScopes: ['sluice/api', 'sluice:write'],
      alarmEmail: 'ops+sluice@example.co.uk',
    });
  });

  it('subscribes no email address without sluice:alarmEmail', () => {
    expect(configOf(REQUIRED)).not.toHaveProperty('alarmEmail');
    expect(configOf({ ...REQUIRED, 'sluice:alarmEmail': '' })).not.toHaveProperty('alarmEmail');
  });

  it.each([
    ['no @', 'ops.example.com'],
    ['no domain dot', 'ops@localhost'],
    ['two addresses', 'ops@example.com,dev@example.com'],
    ['a display name', 'Ops <ops@example.com>'],
    ['a space', 'ops team@example.com'],
    ['two @', 'ops@@example.com'],
    ['a number', 42],
  ])('refuses an alarm email with %s, naming the key and the value', (_name, value) => {
    expect(() => configOf({ ...REQUIRED, 'sluice:alarmEmail': value })).toThrow(
      new SluiceConfigError(`Context "sluice:alarmEmail" must be one email address such as ops@example.com, got ${JSON.stringify(value)}`),
    );
  });

  it.each([
    ['a missing issuer', { 'sluice:jwtIssuer': undefined }],
    ['an http issuer', { 'sluice:jwtIssuer': 'http://issuer.example.com' }],
    ['an empty audience', { 'sluice:jwtAudience': ' , ' }],
    ['a retention CloudWatch does not offer', { 'sluice:logRetentionDays': 31 }],
    ['a boolean that is neither true nor false', { 'sluice:deletionProtection': 'yes' }],
    ['a non-positive throttle', { 'sluice:throttleBurstLimit': 0 }],
    ['the default event bus', { 'sluice:eventBusName': 'default' }],
    ['a scope with a space in it', { 'sluice:jwtScopes': 'read write' }],
    ['an event bus name EventBridge refuses', { 'sluice:eventBusName': 'sluice events!' }],
  ])('refuses %s', (_name, override) => {
    expect(() => configOf({ ...REQUIRED, ...override })).toThrow(SluiceConfigError);
  });
});
