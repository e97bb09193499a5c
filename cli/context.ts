/**
 * Where a command goes and as whom: the global options, then the environment, then the
 * saved profile, then the defaults. `--local` needs nothing else: it points at
 * `npm start` and signs dev tokens with the key the local runtime trusts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createSluiceClient, type SluiceClient } from './client/index.js';
import { UsageError } from './errors.js';

export const OUTPUTS = ['table', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

export interface GlobalOptions {
  readonly endpoint?: string;
  readonly token?: string;
  readonly tenant?: string;
  readonly profile?: string;
  readonly local?: boolean;
  readonly user?: string;
  readonly output?: string;
  readonly query?: string;
}

export interface Profile {
  readonly endpoint?: string;
  readonly token?: string;
  readonly tenant?: string;
  readonly local?: boolean;
}

export interface ConfigFile {
  readonly profiles: Readonly<Record<string, Profile>>;
}

export const DEFAULT_LOCAL_ENDPOINT = 'http://127.0.0.1:3000';
/** The tenant `--local` acts in when none is given. */
export const DEFAULT_LOCAL_TENANT = 'dev';

/** `~/.config/sluice/config.json` (XDG_CONFIG_HOME honoured; SLUICE_CONFIG names another file). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLUICE_CONFIG) return resolve(env.SLUICE_CONFIG);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'sluice', 'config.json');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigFile {
  try {
    const parsed = JSON.parse(readFileSync(configPath(env), 'utf8')) as Partial<ConfigFile>;
    return { profiles: parsed.profiles ?? {} };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new UsageError(`cannot read ${configPath(env)}: ${(error as Error).message}`);
  }
}

/**
 * Saves a profile, merged into what it already holds (a field not given stays); the file
 * holds tokens, so only its owner may read it.
 */
export function saveProfile(name: string, profile: Profile, env: NodeJS.ProcessEnv = process.env): string {
  const file = configPath(env);
  const config = readConfig(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const merged = { ...config.profiles[name], ...profile };
  writeFileSync(file, `${JSON.stringify({ profiles: { ...config.profiles, [name]: merged } }, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/** The `tenant` claim of a JWT, read without checking it (the API checks it). */
export function tenantOfToken(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { tenant?: unknown };
    return typeof payload.tenant === 'string' ? payload.tenant : undefined;
  } catch {
    return undefined;
  }
}

export interface Context {
  readonly client: SluiceClient;
  readonly endpoint: string;
  readonly output: Output;
  /** `--query PATH`: print only this part of the answer (see `select` in output.ts). */
  readonly query?: string;
  /** Whether stdout is a terminal (live progress) or not (plain lines). */
  readonly tty: boolean;
  /** The tenant of tenant routes; a usage error when there is none. */
  tenant(): string;
  out(text: string): void;
  err(text: string): void;
}

export interface ContextOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
}

export function createContext(options: GlobalOptions, io: ContextOptions = {}): Context {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const profileName = options.profile ?? env.SLUICE_PROFILE;
  const profiles = readConfig(env).profiles;
  const profile: Profile = profileName ? (profiles[profileName] ?? missingProfile(profileName, profiles)) : (profiles.default ?? {});
  const local = options.local === true || (options.local === undefined && profile.local === true);
  // `--local` on the command line means this machine: a profile's (or SLUICE_TOKEN's)
  // endpoint and token, perhaps production's, must not come along.
  const forcedLocal = options.local === true;
  const endpoint =
    options.endpoint ?? env.SLUICE_ENDPOINT ?? (forcedLocal ? undefined : profile.endpoint) ?? (local ? DEFAULT_LOCAL_ENDPOINT : undefined);
  if (!endpoint)
    throw new UsageError('no endpoint: give --endpoint URL, set SLUICE_ENDPOINT, save a profile (sluice configure) or use --local');
  if (!/^https?:\/\//.test(endpoint)) throw new UsageError(`--endpoint must be an http(s) URL, not ${endpoint}`);
  const output = (options.output ?? env.SLUICE_OUTPUT ?? 'table') as Output;
  if (!OUTPUTS.includes(output)) throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')}, not ${output}`);
  if (options.query !== undefined && !/^[\w-]+(\.[\w-]+)*$/.test(options.query))
    throw new UsageError(`--query takes a dotted path such as executionId or items.version, not ${options.query}`);
  const givenToken = options.token ?? (forcedLocal ? undefined : (env.SLUICE_TOKEN ?? profile.token));
  const tenant = options.tenant ?? env.SLUICE_TENANT ?? profile.tenant ?? (givenToken ? tenantOfToken(givenToken) : undefined);
  const localTenant = tenant ?? DEFAULT_LOCAL_TENANT;
  const user = options.user ?? env.SLUICE_USER ?? safeUserName();

  const minted = new Map<string, Promise<string>>();
  const mint = (kind: 'tenant' | 'admin') => {
    let token = minted.get(kind);
    if (!token) {
      token = (async () => {
        // Only --local needs the dev key (and jose): load it on first use.
        const { loadOrCreateDevKey, signDevToken } = await import('../local/dev-auth.js');
        const key = await loadOrCreateDevKey(devKeyFile(env));
        return kind === 'admin'
          ? signDevToken(key, { roles: ['platform-admin'], user })
          : signDevToken(key, { tenant: localTenant, roles: ['viewer', 'operator', 'approver'], user });
      })();
      minted.set(kind, token);
    }
    return token;
  };

  const client = createSluiceClient({
    endpoint,
    token: (schemaPath, method) => {
      if (givenToken) return givenToken;
      if (!local) return undefined;
      // The catalog's writes need a platform admin, who has no tenant; the rest a tenant's roles.
      return mint(schemaPath.startsWith('/v1/components') && method !== 'GET' ? 'admin' : 'tenant');
    },
  });
  return {
    client,
    endpoint,
    output,
    ...(options.query === undefined ? {} : { query: options.query }),
    tty: stdout.isTTY === true && env.TERM !== 'dumb',
    tenant() {
      const value = local ? localTenant : tenant;
      if (!value) throw new UsageError('no tenant: give --tenant T or SLUICE_TENANT (the token has no tenant claim)');
      return value;
    },
    out: (text) => void stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

function missingProfile(name: string, profiles: Readonly<Record<string, Profile>>): never {
  const known = Object.keys(profiles);
  throw new UsageError(`no profile ${name} in ${configPath()}${known.length ? ` (profiles: ${known.join(', ')})` : ''}`);
}

function safeUserName(): string {
  try {
    return userInfo().username || 'dev';
  } catch {
    return 'dev';
  }
}

/** The key `npm start` trusts: the clone's `.sluice/dev-signing-key.json`, or SLUICE_DEV_KEY_FILE. */
function devKeyFile(env: NodeJS.ProcessEnv): string {
  return resolve(env.SLUICE_DEV_KEY_FILE ?? join(cloneRoot(), '.sluice', 'dev-signing-key.json'));
}

/** The folder of the package.json above this file (run from source or from the bundle in cli/dist). */
function cloneRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
