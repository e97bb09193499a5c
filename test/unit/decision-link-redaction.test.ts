import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, functionLogger, redact } from '../../functions/common/logger.js';
import { redactRequestTarget } from '../../functions/common/redact-url.js';
import { newLinkToken } from '../../functions/notify/decision-links.js';
import { captureLogStream, type LogStream } from '../support/log-stream.js';

/** A decision link decides a gate: its token is redacted wherever a line carries it, whatever the key. */
let stream: LogStream;
beforeAll(() => {
  process.env.LOG_LEVEL = 'debug';
  stream = captureLogStream();
});
afterAll(() => stream.stop());

describe('decision link tokens in logs', () => {
  const token = newLinkToken();
  const link = `https://api.example.com/v1/decision-links?token=${token}`;

  it('are redacted in values under any key, in messages and in error messages', () => {
    expect(JSON.stringify(redact({ url: link, nested: [{ text: `<${link}|Approve>` }], error: new Error(`bad ${token}`) }))).not.toContain(
      token,
    );
    const lines: string[] = [];
    createLogger('debug', (line) => lines.push(line)).info(`posting ${link}`, { body: { links: { approve: link } } });
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.join('\n')).toContain('sdl_[redacted]');
  });

  it('are redacted by the functions’ Powertools logger too, appended keys and fields alike', () => {
    functionLogger().info('notification', { text: `Approve: <${link}|Approve>`, cause: new Error(token) });
    expect(stream.text()).toContain('notification');
    expect(stream.text()).not.toContain(token);
  });

  it('are redacted from a request target the local gateway logs', () => {
    expect(redactRequestTarget(`/v1/decision-links?token=${token}`)).toBe('/v1/decision-links?token=[redacted]');
  });
});
