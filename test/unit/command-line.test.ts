/**
 * The command line `npm start` and `npm run token` share (local/command-line.ts): node's
 * parseArgs with its errors turned into one short line each, and integer values checked.
 */
import { describe, expect, it } from 'vitest';
import { integerValue, parseCommandLine, UsageError } from '../../local/command-line.js';

const OPTIONS = ['port', 'persist'] as const;

const mistake = (args: string[]) => {
  try {
    parseCommandLine(args, OPTIONS);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${args.join(' ')} was accepted`);
};

describe('parseCommandLine', () => {
  it('answers the values given, and nothing for the options not given', () => {
    expect(parseCommandLine(['--port', '4000'], OPTIONS)).toEqual({ help: false, values: { port: '4000' } });
    expect(parseCommandLine(['--persist=/tmp/x', '--port=0'], OPTIONS)).toEqual({ help: false, values: { port: '0', persist: '/tmp/x' } });
    expect(parseCommandLine([], OPTIONS)).toEqual({ help: false, values: {} });
  });

  it('answers help for --help or -h, whatever else is given', () => {
    expect(parseCommandLine(['--help'], OPTIONS)).toEqual({ help: true });
    expect(parseCommandLine(['--port', '1', '-h'], OPTIONS)).toEqual({ help: true });
  });

  it('says in one line what is wrong, naming the option', () => {
    expect(mistake(['--foo'])).toBe('unknown option --foo');
    expect(mistake(['-x'])).toBe('unknown option -x');
    expect(mistake(['--port'])).toBe('option --port needs a value');
    // The next option is not taken for the value.
    expect(mistake(['--port', '--persist', 'dir'])).toBe('option --port needs a value');
    expect(mistake(['--help=yes'])).toBe('option --help takes no value');
    expect(mistake(['serve'])).toBe('unexpected argument serve');
    for (const args of [['--foo'], ['--port'], ['--port', '--persist', 'x'], ['serve']]) expect(mistake(args)).not.toContain('\n');
  });
});

describe('integerValue', () => {
  it('takes whole numbers in range', () => {
    expect(integerValue('3000', '--port', { min: 0, max: 65_535 })).toBe(3000);
    expect(integerValue('0', '--port', { min: 0, max: 65_535 })).toBe(0);
    expect(integerValue('86400', '--ttl-seconds', { min: 1 })).toBe(86_400);
  });

  it('refuses anything else, naming where the value came from', () => {
    const refused = (raw: string, source: string, range: { min: number; max?: number }) => {
      expect(() => integerValue(raw, source, range)).toThrow(UsageError);
      try {
        integerValue(raw, source, range);
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refused('abc', '--ttl-seconds', { min: 1 })).toBe('--ttl-seconds must be a whole number of at least 1, not "abc"');
    expect(refused('0', '--ttl-seconds', { min: 1 })).toBe('--ttl-seconds must be a whole number of at least 1, not "0"');
    expect(refused('70000', 'PORT', { min: 0, max: 65_535 })).toBe('PORT must be a whole number from 0 to 65535, not "70000"');
    for (const raw of ['', ' ', '1.5', '1e3', '0x10', '-1', 'Infinity', '99999999999999999999'])
      expect(() => integerValue(raw, '--port', { min: 0, max: 65_535 }), raw).toThrow(UsageError);
  });
});
