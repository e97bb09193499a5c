/**
 * Deployment settings, read once from CDK context (`cdk.json` or `-c key=value`).
 *
 * Context given on the command line always arrives as a string, so every reader here
 * accepts both the JSON type and its string spelling (`false`, `"false"`, `30`, `"30"`).
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { parseNotifyTypes } from '../functions/domain/notify-types.js';

/** Every context key Sluice reads, with the value used when it is absent. */
export const CONTEXT_KEYS = {
  jwtIssuer: 'sluice:jwtIssuer',
  jwtAudience: 'sluice:jwtAudience',
  tenantClaim: 'sluice:tenantClaim',
  rolesClaim: 'sluice:rolesClaim',
  jwtScopes: 'sluice:jwtScopes',
  logRetentionDays: 'sluice:logRetentionDays',
  deletionProtection: 'sluice:deletionProtection',
  tracing: 'sluice:tracing',
  bundleAwsSdk: 'sluice:bundleAwsSdk',
  throttleRateLimit: 'sluice:throttleRateLimit',
  throttleBurstLimit: 'sluice:throttleBurstLimit',
  eventBusName: 'sluice:eventBusName',
  lambdaTargetPattern: 'sluice:lambdaTargetPattern',
  alarmEmail: 'sluice:alarmEmail',
  notifyUrl: 'sluice:notifyUrl',
  notifyTypes: 'sluice:notifyTypes',
  notifySecretName: 'sluice:notifySecretName',
  notifyLinks: 'sluice:notifyLinks',
  consoleClientId: 'sluice:consoleClientId',
  consoleScopes: 'sluice:consoleScopes',
  consoleAuthOrigins: 'sluice:consoleAuthOrigins',
} as const;

export interface SluiceConfig {
  /** OIDC issuer URL the JWT authorizer trusts (`iss`), e.g. a Cognito user pool URL. */
  readonly jwtIssuer: string;
  /** Accepted `aud` (or `client_id`) values; at least one. */
  readonly jwtAudience: readonly string[];
  /** Claim holding the caller's tenant; handlers read it through `TENANT_CLAIM`. */
  readonly tenantClaim: string;
  /** Claim holding the caller's roles; handlers read it through `ROLES_CLAIM`. */
  readonly rolesClaim: string;
  /**
   * OAuth scopes every protected route requires (its `authorizationScopes`): a token
   * must carry at least one of them in `scope`/`scp`, so ID tokens (no scopes) are
   * refused. Empty: no scope is required.
   */
  readonly jwtScopes: readonly string[];
  readonly logRetention: RetentionDays;
  /** DynamoDB deletion protection on the table. */
  readonly deletionProtection: boolean;
  /** Active X-Ray tracing on every function. */
  readonly tracing: boolean;
  /** Bundle the AWS SDK into each function instead of using the runtime's copy. */
  readonly bundleAwsSdk: boolean;
  /** Steady-state requests per second across the whole API stage. */
  readonly throttleRateLimit: number;
  /** Burst bucket size across the whole API stage. */
  readonly throttleBurstLimit: number;
  /** Name of the EventBridge bus that receives progress events (UpgradeStarted, BatchCompleted, …). */
  readonly eventBusName: string;
  /**
   * The function names (`*` wildcards) of lambda targets: the task function may invoke
   * those in the stack's account and region, and the services API refuses any other.
   */
  readonly lambdaTargetPattern: string;
  /**
   * The notifier (README, Notifications): chosen timeline events posted to one https
   * webhook. Absent: no notifier. The signing secret is never context: a Secrets Manager
   * secret named by `sluice:notifySecretName`, or one the stack generates.
   */
  readonly notify?: {
    readonly url: string;
    readonly types: readonly string[];
    readonly secretName?: string;
    readonly links: boolean;
  };
  /** An email address subscribed to the alarm topic; without it the topic has no subscription. */
  readonly alarmEmail?: string;
  /**
   * The web console's OIDC client (a public client: authorization code with PKCE, no
   * secret) at `jwtIssuer`. Without it the console signs in by a pasted token.
   */
  readonly consoleClientId?: string;
  /** The scopes the console asks for (space-separated). Default: `openid` and `jwtScopes`. */
  readonly consoleScopes: string;
  /** Origins besides the issuer's the console calls to sign in (e.g. a token endpoint on another host); https only. */
  readonly consoleAuthOrigins: readonly string[];
}

export const CONFIG_DEFAULTS = {
  tenantClaim: 'tenant',
  rolesClaim: 'roles',
  jwtScopes: [],
  logRetention: RetentionDays.ONE_MONTH,
  deletionProtection: true,
  tracing: false,
  bundleAwsSdk: false,
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  eventBusName: 'sluice-events',
  lambdaTargetPattern: 'sluice-target-*',
  /** With `jwtScopes`, those follow `openid`. */
  consoleScopes: 'openid',
  consoleAuthOrigins: [],
} as const satisfies Partial<SluiceConfig>;

/** A configuration problem found while reading context; synth stops with this message. */
export class SluiceConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SluiceConfigError';
  }
}

/**
 * Reads and checks the Sluice context of `scope`'s tree.
 *
 * @example
 * ```ts
 * const app = new App({ context: { 'sluice:jwtIssuer': 'https://issuer.example.com', 'sluice:jwtAudience': 'sluice' } });
 * readSluiceConfig(app).tenantClaim; // 'tenant'
 * ```
 */
export function readSluiceConfig(scope: IConstruct): SluiceConfig {
  const get = (key: string): unknown => scope.node.tryGetContext(key);

  return {
    jwtIssuer: readIssuer(get(CONTEXT_KEYS.jwtIssuer)),
    jwtAudience: readStringList(CONTEXT_KEYS.jwtAudience, get(CONTEXT_KEYS.jwtAudience)),
    tenantClaim: readClaimName(CONTEXT_KEYS.tenantClaim, get(CONTEXT_KEYS.tenantClaim), CONFIG_DEFAULTS.tenantClaim),
    rolesClaim: readClaimName(CONTEXT_KEYS.rolesClaim, get(CONTEXT_KEYS.rolesClaim), CONFIG_DEFAULTS.rolesClaim),
    jwtScopes: readScopes(get(CONTEXT_KEYS.jwtScopes)),
    logRetention: readRetention(get(CONTEXT_KEYS.logRetentionDays)),
    deletionProtection: readBoolean(
      CONTEXT_KEYS.deletionProtection,
      get(CONTEXT_KEYS.deletionProtection),
      CONFIG_DEFAULTS.deletionProtection,
    ),
    tracing: readBoolean(CONTEXT_KEYS.tracing, get(CONTEXT_KEYS.tracing), CONFIG_DEFAULTS.tracing),
    bundleAwsSdk: readBoolean(CONTEXT_KEYS.bundleAwsSdk, get(CONTEXT_KEYS.bundleAwsSdk), CONFIG_DEFAULTS.bundleAwsSdk),
    throttleRateLimit: readPositiveNumber(
      CONTEXT_KEYS.throttleRateLimit,
      get(CONTEXT_KEYS.throttleRateLimit),
      CONFIG_DEFAULTS.throttleRateLimit,
    ),
    throttleBurstLimit: readPositiveNumber(
      CONTEXT_KEYS.throttleBurstLimit,
      get(CONTEXT_KEYS.throttleBurstLimit),
      CONFIG_DEFAULTS.throttleBurstLimit,
    ),
    eventBusName: readEventBusName(get(CONTEXT_KEYS.eventBusName)),
    lambdaTargetPattern: readLambdaTargetPattern(get(CONTEXT_KEYS.lambdaTargetPattern)),
    ...readAlarmEmail(get(CONTEXT_KEYS.alarmEmail)),
    ...readNotify(get),
    ...readConsoleClientId(get(CONTEXT_KEYS.consoleClientId)),
    consoleScopes: readConsoleScopes(get(CONTEXT_KEYS.consoleScopes), readScopes(get(CONTEXT_KEYS.jwtScopes))),
    consoleAuthOrigins: readOrigins(CONTEXT_KEYS.consoleAuthOrigins, get(CONTEXT_KEYS.consoleAuthOrigins)),
  };
}

function readConsoleClientId(raw: unknown): { consoleClientId?: string } {
  const key = CONTEXT_KEYS.consoleClientId;
  if (raw === undefined || raw === null || raw === '') return {};
  // It is written into config.json and a CloudFront Function: printable, no quotes or spaces.
  if (typeof raw !== 'string' || !/^[A-Za-z0-9._~:-]{1,256}$/.test(raw)) {
    throw new SluiceConfigError(`Context "${key}" must be an OAuth client id, got ${JSON.stringify(raw)}`);
  }
  return { consoleClientId: raw };
}

function readConsoleScopes(raw: unknown, jwtScopes: readonly string[]): string {
  const key = CONTEXT_KEYS.consoleScopes;
  if (raw === undefined || raw === null || raw === '') return [CONFIG_DEFAULTS.consoleScopes, ...jwtScopes].join(' ');
  const values = typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : [];
  if (values.length === 0 || values.some((v) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(v))) {
    throw new SluiceConfigError(`Context "${key}" must be OAuth scopes (space- or comma-separated), got ${JSON.stringify(raw)}`);
  }
  return values.join(' ');
}

function readOrigins(key: string, raw: unknown): readonly string[] {
  if (raw === undefined || raw === null || raw === '') return CONFIG_DEFAULTS.consoleAuthOrigins;
  const values = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : undefined;
  if (values === undefined) throw new SluiceConfigError(`Context "${key}" must be a comma-separated list of https:// origins`);
  return values
    .map((value) => value.trim())
    .filter(Boolean)
    .map((value) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch (cause) {
        throw new SluiceConfigError(`Context "${key}": ${JSON.stringify(value)} is not a URL`, { cause });
      }
      // An origin only: it goes into the console's content security policy as it is.
      if (url.protocol !== 'https:' || url.origin !== value.replace(/\/$/, '')) {
        throw new SluiceConfigError(
          `Context "${key}": ${JSON.stringify(value)} must be an https:// origin (no path), such as https://auth.example.com`,
        );
      }
      return url.origin;
    });
}

function readIssuer(raw: unknown): string {
  const key = CONTEXT_KEYS.jwtIssuer;
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new SluiceConfigError(`Context "${key}" is required: pass -c ${key}=https://<your OIDC issuer>`);
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch (cause) {
    throw new SluiceConfigError(`Context "${key}" must be a URL, got "${raw}"`, { cause });
  }
  // API Gateway only fetches the issuer's JWKS over HTTPS.
  if (url.protocol !== 'https:') {
    throw new SluiceConfigError(`Context "${key}" must be an https:// URL, got "${raw}"`);
  }
  return raw.trim();
}

function readStringList(key: string, raw: unknown): readonly string[] {
  const values = Array.isArray(raw) ? raw.map((v) => String(v).trim()) : typeof raw === 'string' ? raw.split(',').map((v) => v.trim()) : [];
  const list = values.filter((v) => v !== '');
  if (list.length === 0) {
    throw new SluiceConfigError(`Context "${key}" is required: one audience or a comma-separated list`);
  }
  return list;
}

function readScopes(raw: unknown): readonly string[] {
  const key = CONTEXT_KEYS.jwtScopes;
  if (raw === undefined || raw === null || raw === '') return CONFIG_DEFAULTS.jwtScopes;
  const values = (
    Array.isArray(raw) ? raw.map((v) => String(v).trim()) : typeof raw === 'string' ? raw.split(',').map((v) => v.trim()) : undefined
  )?.filter((v) => v !== '');
  // RFC 6749 scope tokens: printable ASCII without space, `"` or `\`.
  if (values === undefined || values.some((v) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(v))) {
    throw new SluiceConfigError(`Context "${key}" must be a comma-separated list of OAuth scopes, got ${JSON.stringify(raw)}`);
  }
  return values;
}

function readClaimName(key: string, raw: unknown, fallback: string): string {
  if (raw === undefined || raw === null || raw === '') return fallback;
  // The claim name is also spliced into the access log format (`$context.authorizer.claims.<name>`).
  if (typeof raw !== 'string' || !/^[A-Za-z0-9_:./-]+$/.test(raw)) {
    throw new SluiceConfigError(`Context "${key}" must be a claim name, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function readEventBusName(raw: unknown): string {
  const key = CONTEXT_KEYS.eventBusName;
  if (raw === undefined || raw === null || raw === '') return CONFIG_DEFAULTS.eventBusName;
  // EventBridge's rule for a custom bus name; `default` is the account's own bus and
  // `aws.` names belong to partner event sources.
  if (typeof raw !== 'string' || !/^[A-Za-z0-9._-]{1,256}$/.test(raw) || raw === 'default' || raw.startsWith('aws.')) {
    throw new SluiceConfigError(`Context "${key}" must be a custom event bus name, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function readLambdaTargetPattern(raw: unknown): string {
  const key = CONTEXT_KEYS.lambdaTargetPattern;
  if (raw === undefined || raw === null || raw === '') return CONFIG_DEFAULTS.lambdaTargetPattern;
  // A function name (letters, digits, `-`, `_`, at most 64) with `*` wildcards; never `*` alone.
  if (typeof raw !== 'string' || !/^[A-Za-z0-9_*-]{1,64}$/.test(raw) || !/[A-Za-z0-9_-]/.test(raw)) {
    throw new SluiceConfigError(`Context "${key}" must be a function name pattern such as sluice-target-*, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/**
 * One address, checked as SNS would take it for an `email` subscription: a local part and
 * a dotted domain, no spaces, commas or angle brackets (`Ops <ops@example.com>` is refused),
 * at most 254 characters (RFC 5321's path limit). A typo fails synth here instead of
 * leaving a subscription that never confirms.
 */
function readAlarmEmail(raw: unknown): { alarmEmail?: string } {
  const key = CONTEXT_KEYS.alarmEmail;
  if (raw === undefined || raw === null || raw === '') return {};
  const value = typeof raw === 'string' ? raw.trim() : undefined;
  if (value === undefined || value.length > 254 || !/^[^\s@,;<>"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(value)) {
    throw new SluiceConfigError(`Context "${key}" must be one email address such as ops@example.com, got ${JSON.stringify(raw)}`);
  }
  return { alarmEmail: value };
}

/**
 * `sluice:notifyUrl` (https, no credentials in the URL's user part), `sluice:notifyTypes`
 * (a comma list or an array of event types; default: gate waits, completions, failures,
 * rollbacks), `sluice:notifySecretName`, `sluice:notifyLinks` (default true). The URL's
 * addresses are checked by the SSRF guard at each delivery, since DNS may change after synth.
 */
function readNotify(get: (key: string) => unknown): { notify?: NonNullable<SluiceConfig['notify']> } {
  const raw = get(CONTEXT_KEYS.notifyUrl);
  const others = [CONTEXT_KEYS.notifyTypes, CONTEXT_KEYS.notifySecretName, CONTEXT_KEYS.notifyLinks].filter(
    (key) => get(key) !== undefined && get(key) !== '',
  );
  if (raw === undefined || raw === null || raw === '') {
    if (others.length > 0) throw new SluiceConfigError(`Context ${others.join(', ')} needs "${CONTEXT_KEYS.notifyUrl}" too`);
    return {};
  }
  let url: URL | undefined;
  try {
    url = typeof raw === 'string' ? new URL(raw.trim()) : undefined;
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:' || url.username !== '' || url.password !== '') {
    throw new SluiceConfigError(`Context "${CONTEXT_KEYS.notifyUrl}" must be an https URL without credentials, got ${JSON.stringify(raw)}`);
  }
  const rawTypes = get(CONTEXT_KEYS.notifyTypes);
  let types: readonly string[];
  try {
    types = [
      ...parseNotifyTypes(
        Array.isArray(rawTypes)
          ? rawTypes.map(String)
          : typeof rawTypes === 'string' || rawTypes === undefined
            ? rawTypes
            : String(rawTypes),
      ),
    ];
  } catch (cause) {
    throw new SluiceConfigError(`Context "${CONTEXT_KEYS.notifyTypes}": ${(cause as Error).message}`);
  }
  const secretName = get(CONTEXT_KEYS.notifySecretName);
  if (
    secretName !== undefined &&
    secretName !== '' &&
    (typeof secretName !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(secretName))
  ) {
    throw new SluiceConfigError(
      `Context "${CONTEXT_KEYS.notifySecretName}" must be a Secrets Manager secret name, got ${JSON.stringify(secretName)}`,
    );
  }
  return {
    notify: {
      url: url.toString(),
      types,
      ...(typeof secretName === 'string' && secretName !== '' ? { secretName } : {}),
      links: readBoolean(CONTEXT_KEYS.notifyLinks, get(CONTEXT_KEYS.notifyLinks), true),
    },
  };
}

function readBoolean(key: string, raw: unknown, fallback: boolean): boolean {
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new SluiceConfigError(`Context "${key}" must be true or false, got ${JSON.stringify(raw)}`);
}

function readPositiveNumber(key: string, raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new SluiceConfigError(`Context "${key}" must be a positive number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const RETENTION_VALUES: ReadonlySet<number> = new Set(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

function readRetention(raw: unknown): RetentionDays {
  const key = CONTEXT_KEYS.logRetentionDays;
  if (raw === undefined || raw === null || raw === '') return CONFIG_DEFAULTS.logRetention;
  const days = typeof raw === 'number' ? raw : Number(raw);
  if (!RETENTION_VALUES.has(days)) {
    throw new SluiceConfigError(
      `Context "${key}" must be one of CloudWatch's retention periods (${[...RETENTION_VALUES].join(', ')}), got ${JSON.stringify(raw)}`,
    );
  }
  return days as RetentionDays;
}
