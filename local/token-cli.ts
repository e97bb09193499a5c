import { parseArgs } from 'node:util';
import { ROLES } from '../functions/domain/routes.js';
import { loadOrCreateDevKey, signDevToken } from './dev-auth.js';

/**
 * `npm run --silent token -- --tenant T --roles operator,approver --user alice`
 * prints one dev bearer token (RS256, with the dev key's `kid`) for the local runtime
 * and nothing else. `--scopes a,b` adds a `scope` claim (for SLUICE_JWT_SCOPES).
 */
const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    roles: { type: 'string', default: 'viewer' },
    user: { type: 'string', default: 'dev' },
    'ttl-seconds': { type: 'string', default: String(12 * 3600) },
    scopes: { type: 'string', default: '' },
  },
  strict: true,
});

const roles = values.roles
  .split(',')
  .map((role) => role.trim())
  .filter(Boolean);
const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
if (unknown.length > 0) {
  process.stderr.write(`Unknown role(s): ${unknown.join(', ')}. Roles: ${ROLES.join(', ')}.\n`);
  process.exit(2);
}
if (values.tenant === undefined && !roles.includes('platform-admin')) {
  process.stderr.write('Give --tenant T (only a platform-admin token may have no tenant).\n');
  process.exit(2);
}
if (values.tenant !== undefined && roles.includes('platform-admin')) {
  process.stderr.write('platform-admin is honoured only on a token without --tenant (a tenant token gets no platform rights).\n');
  process.exit(2);
}
const scopes = values.scopes
  .split(',')
  .map((scope) => scope.trim())
  .filter(Boolean);
const key = await loadOrCreateDevKey();
process.stdout.write(
  `${await signDevToken(key, { ...(values.tenant === undefined ? {} : { tenant: values.tenant }), roles, user: values.user, ttlSeconds: Number(values['ttl-seconds']), scopes })}\n`,
);
