import { Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SluiceConsoleProps {
  /** The HTTP API's `$default` stage URL (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  readonly apiUrl: string;
  /** The paths the API serves, as CloudFront path patterns (`/v1/*`, `/health`, …). */
  readonly apiPaths: readonly string[];
  /** The console's sign-in. Without a client id the page signs in by a pasted token, as locally. */
  readonly oidc?: {
    readonly issuer: string;
    readonly clientId: string;
    readonly scopes: string;
    /** Origins besides the issuer's that the page calls while signing in (a token endpoint on another host). */
    readonly origins: readonly string[];
  };
  readonly claims: { readonly tenant: string; readonly roles: string };
}

/**
 * The distribution's path patterns of the API: every first path segment of the routes,
 * `/v1/*` for routes under `/v1/`, the path itself for a route of one segment (`/health`).
 */
export function apiPathPatterns(paths: readonly string[]): string[] {
  const patterns = paths.map((path) => {
    const [, first = '', ...rest] = path.split('/');
    return rest.length > 0 ? `/${first}/*` : `/${first}`;
  });
  return [...new Set(patterns)].sort();
}

/** Where the console's files sit in the bucket and on the distribution: the same `/console/` as `npm start` serves. */
export const CONSOLE_PREFIX = 'console';

/**
 * The web console in AWS: its static files in a private S3 bucket (every public access
 * blocked, TLS only, server access logs), served by a CloudFront distribution that
 * reaches the bucket with origin access control, answers HTTPS only, and adds security
 * headers to every answer (a content security policy of its own origin, HSTS, nosniff,
 * no framing).
 *
 * The API is a second origin of the same distribution (`/v1/*`, `/api/*`, `/openapi.json`,
 * `/health`, never cached, the Authorization header passed on), so the page calls its own
 * origin: no CORS at all, and the policy's `connect-src` is `'self'` (plus the OIDC
 * issuer's origins while signing in). The API's own URL keeps working for the CLI.
 *
 * `config.json` is answered by a CloudFront Function generated here, with the stack's
 * settings in it (the OIDC issuer, client id and scopes, the claim names): nothing to
 * upload, and it is never stale. The files themselves are uploaded after `cdk deploy` by
 * `npm run deploy:console` (the build, an `aws s3 sync` to the bucket and an invalidation).
 */
export class SluiceConsole extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  readonly responseHeaders: ResponseHeadersPolicy;
  /** The page's URL: `https://<distribution>/console/`. */
  readonly url: string;
  /** The policy the response headers carry. */
  readonly contentSecurityPolicy: string;

  constructor(scope: Construct, id: string, props: SluiceConsoleProps) {
    super(scope, id);

    // Access logs of the bucket and of the distribution. CloudFront's standard logs are
    // written with an ACL, so this bucket lets object writers own their objects.
    this.logBucket = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      // The files are a build output: `npm run deploy:console` puts them back.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    const issuerOrigins = props.oidc ? [new URL(props.oidc.issuer).origin, ...props.oidc.origins] : [];
    this.contentSecurityPolicy = [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      ['connect-src', "'self'", ...new Set(issuerOrigins)].join(' '),
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; ');

    this.responseHeaders = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Sluice console: CSP of its own origin, HSTS, nosniff, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: this.contentSecurityPolicy, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, preload: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    const pages = new CloudFrontFunction(this, 'Pages', {
      comment: 'Sluice console: /console/ is its page, /console/config.json its settings',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(consoleFunctionCode(consoleConfig(props))),
    });

    // The API's host, from its URL: `https://<host>/`.
    const apiHost = Fn.select(2, Fn.split('/', props.apiUrl));
    const api = new HttpOrigin(apiHost, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      // A long poll of the events feed holds up to 20 s.
      readTimeout: Duration.seconds(30),
    });
    const apiBehavior = {
      origin: api,
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      // Every header but Host (API Gateway routes by its own host), the query and the body reach the API.
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: this.responseHeaders,
    };

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Sluice console',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeaders,
        functionAssociations: [{ function: pages, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: Object.fromEntries(props.apiPaths.map((path) => [path, apiBehavior])),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });

    this.url = `https://${this.distribution.distributionDomainName}/${CONSOLE_PREFIX}/`;

    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution answers on its *.cloudfront.net name, whose certificate CloudFront serves with its own TLS floor; a minimum of TLS 1.2 needs a custom domain and an ACM certificate, which the stack does not configure.',
      },
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The console and the API serve their tenants wherever they are; every call needs a valid token.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          "The API behind it keeps its stage throttling and JWT authorizer; a WAF web ACL is an account's choice (and cost), attachable to the distribution without a change here.",
      },
    );
  }
}

/** What `config.json` says in AWS: the API on the page's own origin, and how to sign in. */
export function consoleConfig(props: Pick<SluiceConsoleProps, 'oidc' | 'claims'>): Record<string, unknown> {
  return {
    auth: props.oidc
      ? { kind: 'oidc', issuer: props.oidc.issuer, clientId: props.oidc.clientId, scopes: props.oidc.scopes }
      : { kind: 'token' },
    claims: props.claims,
  };
}

/**
 * The viewer-request function of the console's files: `/` and `/console` send the
 * browser to `/console/`, `/console/` is `console/index.html` in the bucket (S3 behind
 * origin access control has no index documents), and `/console/config.json` is answered
 * here with the stack's settings. Everything else goes to the bucket as asked.
 */
export function consoleFunctionCode(config: Record<string, unknown>): string {
  const body = JSON.stringify(JSON.stringify(config));
  return `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/${CONSOLE_PREFIX}') {
    return { statusCode: 308, statusDescription: 'Permanent Redirect', headers: { location: { value: '/${CONSOLE_PREFIX}/' } } };
  }
  if (uri === '/${CONSOLE_PREFIX}/config.json') {
    return {
      statusCode: 200,
      statusDescription: 'OK',
      headers: {
        'content-type': { value: 'application/json' },
        'cache-control': { value: 'no-store' },
        'x-content-type-options': { value: 'nosniff' },
      },
      body: ${body},
    };
  }
  if (uri === '/${CONSOLE_PREFIX}/') request.uri = '/${CONSOLE_PREFIX}/index.html';
  return request;
}`;
}
