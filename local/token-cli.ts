import { ROLES } from '../functions/domain/routes.js';
import { integerValue, readCommandLine, UsageError } from './command-line.js';
import { loadOrCreateDevKey, signDevToken } from './dev-auth.js';

/**
 * `npm run --silent token -- --tenant T --roles operator,approver --user alice` prints one
 * dev bearer token (RS256, with the dev key's `kid`) for the local runtime and nothing
 * else. `npm run token -- --help` prints {@link USAGE}.
 */
const DEFAULT_TTL_SECONDS = 12 * 3600;

const USAGE = `Usage: npm run --silent token -- [options]

Prints one dev bearer token for the local runtime (\`npm start\`), signed with the dev key
in .sluice/ (created on first use). None of these options has an environment variable.

Options:
  --tenant T        the tenant claim; required, except on a platform-admin token,
                    which must have none
                    default: none
  --roles R1,R2     comma-separated, of ${ROLES.join(', ')}
                    default viewer
  --user NAME       the subject (sub claim)
                    default dev
  --ttl-seconds N   seconds until the token expires (its exp claim), at least 1
                    default ${DEFAULT_TTL_SECONDS} (12 hours)
  --scopes S1,S2    a scope claim (space-separated in the token), for SLUICE_JWT_SCOPES
                    default: none
  -h, --help        print this text and exit

Environment:
  SLUICE_DEV_KEY_FILE  the dev key file (default .sluice/dev-signing-key.json); npm start
                       must read the same one

Example:
  TOKEN=$(npm run --silent token -- --tenant acme --roles viewer,operator --user alice --ttl-seconds 3600)
`;

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const claims = readCommandLine({ usage: USAGE, options: ['tenant', 'roles', 'user', 'ttl-seconds', 'scopes'] }, (values) => {
  const ttlSeconds = integerValue(values['ttl-seconds'] ?? String(DEFAULT_TTL_SECONDS), '--ttl-seconds', { min: 1 });
  const roles = list(values.roles ?? 'viewer');
  const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (unknown.length > 0) throw new UsageError(`unknown role(s) ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
  if (values.tenant === undefined && !roles.includes('platform-admin'))
    throw new UsageError('give --tenant T (only a platform-admin token may have no tenant)');
  if (values.tenant !== undefined && roles.includes('platform-admin'))
    throw new UsageError('platform-admin is honoured only on a token without --tenant (a tenant token gets no platform rights)');
  if (values.tenant === '') throw new UsageError('--tenant must name a tenant, not ""');
  return {
    ...(values.tenant === undefined ? {} : { tenant: values.tenant }),
    roles,
    user: values.user ?? 'dev',
    ttlSeconds,
    scopes: list(values.scopes ?? ''),
  };
});

const key = await loadOrCreateDevKey();
process.stdout.write(`${await signDevToken(key, claims)}\n`);
