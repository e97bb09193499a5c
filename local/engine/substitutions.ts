/**
 * `${Key}` placeholders in an ASL file, replaced the way CloudFormation
 * applies a state machine's DefinitionSubstitutions (which is what CDK's
 * `definitionSubstitutions` emits), so the local runtime runs the very file
 * that is deployed.
 */
import { SubstitutionError } from './errors.js';

/**
 * Replaces every `${Key}` in `definitionText` by `substitutions[Key]`.
 * `${!Key}` stays literal as `${Key}` (the `Fn::Sub` escape). A placeholder
 * with no value throws {@link SubstitutionError}, because a definition with a
 * hole in it would fail far from the cause.
 *
 * @example
 * applySubstitutions('{"Resource":"${FnArn}"}', { FnArn: 'arn:aws:lambda:...' });
 */
export function applySubstitutions(definitionText: string, substitutions: Readonly<Record<string, string | number | boolean>>): string {
  return definitionText.replace(/\$\{([^}]*)\}/g, (_match, key: string) => {
    if (key.startsWith('!')) return `\${${key.slice(1)}}`;
    const value = Object.hasOwn(substitutions, key) ? substitutions[key] : undefined;
    if (value === undefined) throw new SubstitutionError(key);
    return String(value);
  });
}
