import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/domain/routes.js';
import { CONTEXT_KEYS, readSluiceConfig, SluiceConfigError } from '../../lib/config.js';
import { apiPathPatterns, consoleFunctionCode } from '../../lib/constructs/sluice-console.js';
import { SluiceStack } from '../../lib/sluice-stack.js';

/**
 * The web console in the synthesized template (lib/constructs/sluice-console.ts): the
 * private bucket and its logs, the distribution with origin access control and the API
 * as a second origin, the response headers, the generated config.json, and cdk-nag.
 */
type CfnResource = { Type: string; Properties?: Record<string, any> };
type Template = { Resources: Record<string, CfnResource>; Outputs: Record<string, { Value: unknown }> };
type ValidationReport = { pluginReports: { violations: { ruleName: string; violatingConstructs?: { constructPath?: string }[] }[] }[] };

const ISSUER = 'https://issuer.example.com/sluice-test';
const outdirs: string[] = [];

function synth(context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'sluice-console-infra-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: {
      [CONTEXT_KEYS.jwtIssuer]: ISSUER,
      [CONTEXT_KEYS.jwtAudience]: 'sluice-test',
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      'aws:cdk:bundling-stacks': [],
      ...context,
    },
  });
  const stack = new SluiceStack(app, 'Sluice');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as Template;
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
  const consoleFindings = report.pluginReports
    .flatMap((r) => r.violations)
    .filter((v) => (v.violatingConstructs ?? []).some((c) => c.constructPath?.startsWith('Sluice/Console')))
    .map((v) => v.ruleName);
  return { stack, template, consoleFindings };
}

const ofType = (template: Template, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const only = (template: Template, type: string) => {
  const found = ofType(template, type);
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]![1].Properties ?? {};
};

let plain: ReturnType<typeof synth>;
let oidc: ReturnType<typeof synth>;

beforeAll(() => {
  plain = synth();
  oidc = synth({
    [CONTEXT_KEYS.consoleClientId]: 'console-client',
    [CONTEXT_KEYS.consoleAuthOrigins]: 'https://auth.example.com',
    [CONTEXT_KEYS.jwtScopes]: 'sluice/api',
  });
}, 120_000);

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the generated CloudFront Function on a request for `uri`, as CloudFront would. */
function viewerRequest(code: string, uri: string): any {
  return runInNewContext(`${code}\nhandler({ request: { uri: ${JSON.stringify(uri)}, headers: {} } })`);
}

describe('the console in the stack', () => {
  it('keeps its files in a private bucket: every public access blocked, TLS only, encrypted, access logs to a log bucket', () => {
    const buckets = ofType(plain.template, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [, bucket] of buckets) {
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties?.BucketEncryption).toBeDefined();
    }
    const files = buckets.find(([, bucket]) => bucket.Properties?.LoggingConfiguration)!;
    const logs = buckets.find(([id]) => id !== files[0])!;
    expect(files[1].Properties?.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logs[0] });
    const policies = ofType(plain.template, 'AWS::S3::BucketPolicy');
    for (const [id] of buckets) {
      const policy = policies.find(([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: id }));
      expect(policy, `policy of ${id}`).toBeDefined();
      const statements = policy![1].Properties?.PolicyDocument.Statement as any[];
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    // Only CloudFront, through origin access control, for this distribution, may read the files.
    const filesPolicy = policies.find(([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: files[0] }))!;
    const read = (filesPolicy[1].Properties?.PolicyDocument.Statement as any[]).find((s) => s.Effect === 'Allow');
    expect(read).toMatchObject({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' });
    expect(JSON.stringify(read.Condition)).toContain('AWS:SourceArn');
    expect(only(plain.template, 'AWS::CloudFront::OriginAccessControl').OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
  });

  it('serves over HTTPS only, with its logs, and the API as a second origin that is never cached and gets the Authorization header', () => {
    const config = only(plain.template, 'AWS::CloudFront::Distribution').DistributionConfig;
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.Logging.Bucket).toBeDefined();
    const patterns = config.CacheBehaviors.map((behavior: any) => behavior.PathPattern).sort();
    expect(patterns).toEqual(['/api/*', '/health', '/openapi.json', '/v1/*']);
    expect(apiPathPatterns(ROUTES.map((route) => route.path))).toEqual(patterns);
    for (const behavior of config.CacheBehaviors) {
      expect(behavior.ViewerProtocolPolicy).toBe('https-only');
      expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(['POST', 'PATCH', 'DELETE', 'PUT']));
      // Managed policies: CachingDisabled and AllViewerExceptHostHeader.
      expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
      expect(behavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    }
    const api = config.Origins.find((origin: any) => origin.CustomOriginConfig);
    expect(api.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginReadTimeout: 30 });
    expect(JSON.stringify(api.DomainName)).toContain('execute-api');
  });

  it('adds a policy of its own origin only, HSTS, nosniff, no referrer and no framing to every answer', () => {
    const headers = only(plain.template, 'AWS::CloudFront::ResponseHeadersPolicy').ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp: string = headers.ContentSecurityPolicy.ContentSecurityPolicy;
    expect(csp.split('; ')).toEqual([
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ]);
    expect(headers.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    const config = only(plain.template, 'AWS::CloudFront::Distribution').DistributionConfig;
    const policy = { Ref: ofType(plain.template, 'AWS::CloudFront::ResponseHeadersPolicy')[0]![0] };
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors])
      expect(behavior.ResponseHeadersPolicyId).toEqual(policy);
    // With OIDC, the page may call the issuer and the origins named for signing in, nothing else.
    const signing = only(oidc.template, 'AWS::CloudFront::ResponseHeadersPolicy').ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(signing.ContentSecurityPolicy.ContentSecurityPolicy).toContain(
      "connect-src 'self' https://issuer.example.com https://auth.example.com;",
    );
  });

  it('answers config.json from a generated function: token sign-in by default, OIDC with PKCE settings when a client is configured', () => {
    const code = (synthesized: typeof plain) => only(synthesized.template, 'AWS::CloudFront::Function').FunctionCode as string;
    const config = (synthesized: typeof plain) => JSON.parse(viewerRequest(code(synthesized), '/console/config.json').body);
    expect(config(plain)).toEqual({ auth: { kind: 'token' }, claims: { tenant: 'tenant', roles: 'roles' } });
    expect(config(oidc)).toEqual({
      auth: { kind: 'oidc', issuer: ISSUER, clientId: 'console-client', scopes: 'openid sluice/api' },
      claims: { tenant: 'tenant', roles: 'roles' },
    });
    expect(viewerRequest(code(plain), '/console/config.json').headers['x-content-type-options']).toEqual({ value: 'nosniff' });
    // The page, its files, and the way there.
    expect(viewerRequest(code(plain), '/console/').uri).toBe('/console/index.html');
    expect(viewerRequest(code(plain), '/console/assets/index-abc.js').uri).toBe('/console/assets/index-abc.js');
    expect(viewerRequest(code(plain), '/')).toMatchObject({ statusCode: 308, headers: { location: { value: '/console/' } } });
    expect(viewerRequest(code(plain), '/console')).toMatchObject({ statusCode: 308 });
    // A setting that would break out of the function's string stays inside it.
    const hostile = consoleFunctionCode({ auth: { kind: 'token' }, note: '"; globalThis.pwned = 1; "' });
    expect(JSON.parse(viewerRequest(hostile, '/console/config.json').body).note).toBe('"; globalThis.pwned = 1; "');
  });

  it('names the console, its bucket and its distribution in the outputs', () => {
    expect(Object.keys(plain.template.Outputs)).toEqual(
      expect.arrayContaining(['ConsoleUrl', 'ConsoleBucketName', 'ConsoleDistributionId']),
    );
  });

  it('leaves cdk-nag nothing unacknowledged', () => {
    expect(plain.consoleFindings).toEqual([]);
    expect(oidc.consoleFindings).toEqual([]);
  });

  it('refuses console settings that are not a client id, scopes or https origins', () => {
    const read = (context: Record<string, unknown>) =>
      readSluiceConfig(new App({ context: { [CONTEXT_KEYS.jwtIssuer]: ISSUER, [CONTEXT_KEYS.jwtAudience]: 'a', ...context } }));
    expect(read({}).consoleClientId).toBeUndefined();
    expect(read({}).consoleScopes).toBe('openid');
    expect(() => read({ [CONTEXT_KEYS.consoleClientId]: 'a"b' })).toThrow(SluiceConfigError);
    expect(() => read({ [CONTEXT_KEYS.consoleAuthOrigins]: 'http://auth.example.com' })).toThrow(/https:\/\/ origin/);
    expect(() => read({ [CONTEXT_KEYS.consoleAuthOrigins]: 'https://auth.example.com/path' })).toThrow(/no path/);
    expect(() => read({ [CONTEXT_KEYS.consoleScopes]: 'openid "x"' })).toThrow(SluiceConfigError);
    expect(read({ [CONTEXT_KEYS.consoleScopes]: 'openid,profile' }).consoleScopes).toBe('openid profile');
  });
});
