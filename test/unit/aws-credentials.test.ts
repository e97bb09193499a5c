import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/common/aws-credentials.js';

const NAMES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
];
const saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

/** A shared credentials file with one profile, as `aws configure` writes it. */
function profileFile(profile: string, accessKeyId: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-creds-')), 'credentials');
  writeFileSync(file, `[${profile}]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = profile-secret\n`);
  return file;
}

describe('the bundles’ credentials (aliased for @aws-sdk/credential-provider-node)', () => {
  it('are the environment’s, as Lambda sets them', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-session' });
    delete process.env.AWS_PROFILE;
    const credentials = await defaultProvider()();
    expect(credentials).toMatchObject({ accessKeyId: 'ASIAENV', secretAccessKey: 'env-secret', sessionToken: 'env-session' });
  });

  it('fall back to the SDK’s whole chain without them: a profile is read as the default chain reads it', async () => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[name];
    Object.assign(process.env, {
      AWS_PROFILE: 'sluice-test',
      AWS_SHARED_CREDENTIALS_FILE: profileFile('sluice-test', 'AKIAPROFILE'),
      AWS_CONFIG_FILE: '/dev/null',
    });
    expect(await defaultProvider()()).toMatchObject({ accessKeyId: 'AKIAPROFILE', secretAccessKey: 'profile-secret' });
  });

  it('let AWS_PROFILE win over the environment’s keys, as the default chain does', async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'ASIAENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
      AWS_PROFILE: 'sluice-test',
      AWS_SHARED_CREDENTIALS_FILE: profileFile('sluice-test', 'AKIAPROFILE'),
      AWS_CONFIG_FILE: '/dev/null',
    });
    expect(await defaultProvider()()).toMatchObject({ accessKeyId: 'AKIAPROFILE' });
  });
});
