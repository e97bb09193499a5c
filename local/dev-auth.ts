import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  type KeyObject,
  SignJWT,
} from 'jose';
import { flattenClaim } from '../functions/common/http/principal.js';

/**
 * Local stand-in for the identity provider that API Gateway's JWT authorizer trusts
 * in AWS. Tokens are RS256 with a `kid` (the authorizer accepts only RSA keys and
 * requires a `kid` from the issuer's key set), signed with a key pair made on first use
 * and kept in a gitignored file, so `npm run token` and `npm start` agree without any
 * setup.
 */
export const DEV_ISSUER = 'sluice-local';
export const DEV_AUDIENCE = 'sluice';
export const DEV_ALGORITHM = 'RS256';

export interface DevKey {
  readonly privateKey: CryptoKey | KeyObject;
  readonly publicKey: CryptoKey | KeyObject;
  /** The key id tokens carry in their header (the public key's JWK thumbprint). */
  readonly kid: string;
}

export const DEFAULT_DEV_KEY_FILE = resolve(
  process.env.SLUICE_DEV_KEY_FILE ?? join(import.meta.dirname, '..', '.sluice', 'dev-signing-key.json'),
);

export async function generateDevKey(): Promise<DevKey> {
  const { privateKey, publicKey } = await generateKeyPair(DEV_ALGORITHM, { extractable: true, modulusLength: 2048 });
  return { privateKey, publicKey, kid: await calculateJwkThumbprint(await exportJWK(publicKey)) };
}

interface DevKeyFile {
  readonly alg: string;
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/**
 * Loads the dev key, creating it on first use. Concurrent first uses agree on one key.
 * A key file of an older format (the ES256 keys of earlier versions, without `kid`) is
 * moved aside to `<file>.old` and replaced by a new RS256 key: tokens minted with the
 * old key stop verifying, mint new ones with `npm run token`.
 */
export async function loadOrCreateDevKey(file: string = DEFAULT_DEV_KEY_FILE): Promise<DevKey> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const key = await readDevKey(file);
      if (key) return key;
      // An old format: move it aside (a concurrent loader may have done so already).
      await rename(file, `${file}.old`).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const key = await generateDevKey();
    await mkdir(dirname(file), { recursive: true });
    const stored: DevKeyFile = {
      alg: DEV_ALGORITHM,
      kid: key.kid,
      privateJwk: await exportJWK(key.privateKey),
      publicJwk: await exportJWK(key.publicKey),
    };
    // Written whole to a temporary file, then linked into place: the file appears
    // complete or not at all, and only one of concurrent creators wins.
    const temporary = `${file}.${randomUUID()}.tmp`;
    await writeFile(temporary, JSON.stringify(stored), { flag: 'wx', mode: 0o600 });
    try {
      await link(temporary, file);
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process created it first: read theirs on the next attempt.
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  }
  throw new Error(`Could not read or create the dev key file ${file}`);
}

/** The key in `file`, or undefined when the file holds an older format. */
async function readDevKey(file: string): Promise<DevKey | undefined> {
  let stored: Partial<DevKeyFile>;
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<DevKeyFile>;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (
    stored.alg !== DEV_ALGORITHM ||
    typeof stored.kid !== 'string' ||
    stored.privateJwk?.kty !== 'RSA' ||
    stored.publicJwk?.kty !== 'RSA'
  ) {
    return undefined;
  }
  return {
    privateKey: (await importJWK(stored.privateJwk, DEV_ALGORITHM)) as CryptoKey,
    publicKey: (await importJWK(stored.publicJwk, DEV_ALGORITHM)) as CryptoKey,
    kid: stored.kid,
  };
}

export interface DevTokenClaims {
  /** Absent for platform-wide tokens (platform-admin). */
  readonly tenant?: string;
  readonly roles: readonly string[];
  /** The subject; who the audit trail names. */
  readonly user: string;
  readonly ttlSeconds?: number;
  /** OAuth scopes, sent as the space-separated `scope` claim (see SLUICE_JWT_SCOPES). */
  readonly scopes?: readonly string[];
}

export async function signDevToken(key: DevKey, claims: DevTokenClaims): Promise<string> {
  return new SignJWT({
    ...(claims.tenant === undefined ? {} : { tenant: claims.tenant }),
    roles: [...claims.roles],
    ...(claims.scopes === undefined || claims.scopes.length === 0 ? {} : { scope: claims.scopes.join(' ') }),
  })
    .setProtectedHeader({ alg: DEV_ALGORITHM, typ: 'JWT', kid: key.kid })
    .setSubject(claims.user)
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 12 * 3600}s`)
    .sign(key.privateKey);
}

/**
 * Verifies a bearer token as API Gateway's JWT authorizer does, so that nothing
 * passes here that AWS refuses: `alg` RS256 only (the authorizer takes only RSA keys;
 * `none`, HMAC and EC fail), a `kid` naming the dev key, the signature, issuer and
 * audience, `exp` present and after now, `nbf` and `iat` (when present) not after now.
 * No clock skew is allowed: AWS documents none. Returns the claims flattened the way
 * the authorizer hands them to Lambda: every value a string, arrays as `"[a b]"`, or
 * undefined for any invalid token.
 */
export async function verifyDevToken(key: DevKey, authorization: string | undefined): Promise<Record<string, string> | undefined> {
  const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  try {
    const header = decodeProtectedHeader(match[1]);
    if (header.alg !== DEV_ALGORITHM || header.kid !== key.kid) return undefined;
    const { payload } = await jwtVerify(match[1], key.publicKey, {
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      algorithms: [DEV_ALGORITHM],
      requiredClaims: ['exp'],
      clockTolerance: 0,
    });
    if (!timesValid(payload)) return undefined;
    return Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, flattenClaim(value)]));
  } catch {
    return undefined;
  }
}

/**
 * {@link verifyDevToken} that remembers the tokens it verified: the local runtime's
 * stand-in for the JWT authorizer, which in AWS checks signatures outside the functions.
 * An RSA signature check per request was about a tenth of the local API's CPU under load
 * (bench/api-bench.ts with `SLUICE_BENCH_NODE_ARGS=--cpu-prof`). A remembered token is
 * still checked for `exp`, `nbf` and `iat` on every use; a refused one is never
 * remembered, and at most `size` tokens are kept (the oldest goes first).
 */
export function createDevTokenVerifier(
  key: DevKey,
  { size = 1000, now = () => Date.now() }: { size?: number; now?: () => number } = {},
): (authorization: string | undefined) => Promise<Record<string, string> | undefined> {
  const verified = new Map<string, { claims: Record<string, string>; times: JWTPayload }>();
  return async (authorization) => {
    const known = authorization === undefined ? undefined : verified.get(authorization);
    if (known) {
      if (timesValid(known.times, now())) return { ...known.claims };
      verified.delete(authorization as string);
      return undefined;
    }
    const claims = await verifyDevToken(key, authorization);
    if (claims && authorization !== undefined) {
      if (verified.size >= size) verified.delete(verified.keys().next().value as string);
      const times = decodeJwt(authorization.slice('Bearer '.length));
      verified.set(authorization, { claims: { ...claims }, times: { exp: times.exp, iat: times.iat, nbf: times.nbf } });
    }
    return claims;
  };
}

/** jose checks `exp` and `nbf`; `iat` in the future it lets through, the authorizer does not. */
function timesValid(payload: JWTPayload, at = Date.now()): boolean {
  const now = Math.floor(at / 1000);
  if (typeof payload.exp !== 'number' || payload.exp <= now) return false;
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat > now)) return false;
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now)) return false;
  return true;
}
