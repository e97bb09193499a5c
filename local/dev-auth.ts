import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, type KeyObject, SignJWT } from 'jose';

/**
 * Local stand-in for the identity provider that API Gateway's JWT authorizer trusts
 * in AWS. Tokens are ES256, signed with a key pair made on first use and kept in a
 * gitignored file, so `npm run token` and `npm start` agree without any setup.
 */
export const DEV_ISSUER = 'sluice-local';
export const DEV_AUDIENCE = 'sluice';

export interface DevKey {
  readonly privateKey: CryptoKey | KeyObject;
  readonly publicKey: CryptoKey | KeyObject;
}

export const DEFAULT_DEV_KEY_FILE = resolve(
  process.env.SLUICE_DEV_KEY_FILE ?? join(import.meta.dirname, '..', '.sluice', 'dev-signing-key.json'),
);

export async function generateDevKey(): Promise<DevKey> {
  return generateKeyPair('ES256', { extractable: true });
}

/** Loads the dev key, creating it on first use. Concurrent first uses agree on one key. */
export async function loadOrCreateDevKey(file: string = DEFAULT_DEV_KEY_FILE): Promise<DevKey> {
  try {
    return await readDevKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = await generateDevKey();
  await mkdir(dirname(file), { recursive: true });
  try {
    await writeFile(file, JSON.stringify({ privateJwk: await exportJWK(key.privateKey), publicJwk: await exportJWK(key.publicKey) }), {
      flag: 'wx',
      mode: 0o600,
    });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readDevKey(file);
    throw error;
  }
}

async function readDevKey(file: string): Promise<DevKey> {
  const { privateJwk, publicJwk } = JSON.parse(await readFile(file, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
  return { privateKey: (await importJWK(privateJwk, 'ES256')) as CryptoKey, publicKey: (await importJWK(publicJwk, 'ES256')) as CryptoKey };
}

export interface DevTokenClaims {
  /** Absent for platform-wide tokens (platform-admin). */
  readonly tenant?: string;
  readonly roles: readonly string[];
  /** The subject; who the audit trail names. */
  readonly user: string;
  readonly ttlSeconds?: number;
}

export async function signDevToken(key: DevKey, claims: DevTokenClaims): Promise<string> {
  return new SignJWT({ ...(claims.tenant === undefined ? {} : { tenant: claims.tenant }), roles: [...claims.roles] })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setSubject(claims.user)
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 12 * 3600}s`)
    .sign(key.privateKey);
}

/**
 * Verifies a bearer token as API Gateway's JWT authorizer would (signature, issuer,
 * audience, expiry; `alg` pinned so `none` and HMAC confusion fail) and returns the
 * claims flattened the way the authorizer hands them to Lambda: every value a string,
 * arrays as `"[a b]"`. Returns undefined for any invalid token.
 */
export async function verifyDevToken(key: DevKey, authorization: string | undefined): Promise<Record<string, string> | undefined> {
  const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  try {
    const { payload } = await jwtVerify(match[1], key.publicKey, { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, algorithms: ['ES256'] });
    return Object.fromEntries(
      Object.entries(payload).map(([name, value]) => [
        name,
        Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    );
  } catch {
    return undefined;
  }
}
