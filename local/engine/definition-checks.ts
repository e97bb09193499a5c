/**
 * The checks CreateStateMachine makes beyond the JSON schema of
 * `asl-validator`: paths and intrinsic calls parsed with the engine's own
 * parsers (the validator's grammar refuses what AWS accepts, decimals in
 * intrinsics for one), and the fields this engine does not run refused by
 * name instead of being accepted and ignored.
 */

import type { Graph, StateDef } from './interpreter.js';
import { IntrinsicSyntaxError, isIntrinsic, parseIntrinsic } from './intrinsics.js';
import { parsePath } from './jsonpath.js';
import { checkReference, VARIABLE_NAME } from './references.js';

/** A definition problem, with the location AWS's messages give (`/States/Name/Field`). */
export class DefinitionProblem extends Error {
  override readonly name = 'DefinitionProblem';
  constructor(
    readonly code: 'SCHEMA_VALIDATION_FAILED' | 'UNSUPPORTED_FEATURE',
    message: string,
    readonly location: string,
  ) {
    super(message);
  }
}

/**
 * Fields this engine refuses: Distributed Map readers and writers, failure
 * tolerance and cross-account credentials need AWS resources or semantics the
 * local runtime does not have (decision 0031).
 */
export const UNSUPPORTED_FIELDS = [
  'ItemReader',
  'ItemBatcher',
  'ResultWriter',
  'ToleratedFailurePercentage',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCount',
  'ToleratedFailureCountPath',
  'Credentials',
] as const;

const REFERENCE_FIELDS = [
  'InputPath',
  'OutputPath',
  'ItemsPath',
  'SecondsPath',
  'TimestampPath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'MaxConcurrencyPath',
] as const;

const TEMPLATE_FIELDS = ['Parameters', 'ResultSelector', 'ItemSelector', 'Assign'] as const;

function checkExpression(expr: unknown, field: string, at: string): void {
  if (typeof expr !== 'string') {
    throw new DefinitionProblem('SCHEMA_VALIDATION_FAILED', `The value for the field '${field}' must be a STRING`, at);
  }
  try {
    if (isIntrinsic(expr)) parseIntrinsic(expr);
    else checkReference(expr);
  } catch (err) {
    const detail = err instanceof IntrinsicSyntaxError ? `: ${err.message}` : '';
    throw new DefinitionProblem(
      'SCHEMA_VALIDATION_FAILED',
      `The value for the field '${field}' must be a valid JSONPath or a valid intrinsic function call${detail}`,
      at,
    );
  }
}

function checkTemplate(template: unknown, at: string, assign: boolean): void {
  if (Array.isArray(template)) {
    template.forEach((v, i) => {
      checkTemplate(v, `${at}[${i}]`, false);
    });
    return;
  }
  if (typeof template !== 'object' || template === null) return;
  for (const [key, value] of Object.entries(template)) {
    const name = key.endsWith('.$') ? key.slice(0, -2) : key;
    if (assign && (!VARIABLE_NAME.test(name) || name === 'states')) {
      throw new DefinitionProblem('SCHEMA_VALIDATION_FAILED', `'${name}' is not a valid variable name`, at);
    }
    if (key.endsWith('.$')) checkExpression(value, key, at);
    else checkTemplate(value, `${at}/${key}`, false);
  }
}

function checkReferenceField(value: unknown, field: string, at: string): void {
  if (value === undefined || value === null) return;
  checkExpression(value, field, at);
  if (isIntrinsic(value as string)) {
    throw new DefinitionProblem('SCHEMA_VALIDATION_FAILED', `The value for the field '${field}' must be a valid JSONPath`, at);
  }
}

function checkResultPath(value: unknown, at: string): void {
  if (value === undefined || value === null) return;
  const ok = (() => {
    if (typeof value !== 'string' || !value.startsWith('$') || value.startsWith('$$')) return false;
    if (value.length > 1 && !/^\$[.[]/.test(value)) return false; // a variable cannot receive a result
    try {
      return parsePath(value).definite;
    } catch {
      return false;
    }
  })();
  if (!ok)
    throw new DefinitionProblem('SCHEMA_VALIDATION_FAILED', `The value for the field 'ResultPath' must be a valid ReferencePath`, at);
}

function checkChoiceRule(rule: Record<string, unknown>, at: string): void {
  for (const key of ['And', 'Or']) {
    if (Array.isArray(rule[key])) {
      (rule[key] as Record<string, unknown>[]).forEach((r, i) => {
        checkChoiceRule(r, `${at}/${key}[${i}]`);
      });
    }
  }
  if (typeof rule.Not === 'object' && rule.Not !== null) checkChoiceRule(rule.Not as Record<string, unknown>, `${at}/Not`);
  if (rule.Variable !== undefined) checkReferenceField(rule.Variable, 'Variable', at);
  for (const [key, value] of Object.entries(rule)) {
    if (key.endsWith('Path') && key !== 'Variable') checkReferenceField(value, key, at);
  }
  if (rule.Assign !== undefined) checkTemplate(rule.Assign, `${at}/Assign`, true);
}

function checkState(name: string, state: StateDef & Record<string, unknown>, base: string): void {
  const at = `${base}/States/${name}`;
  for (const field of UNSUPPORTED_FIELDS) {
    if (field in state) {
      throw new DefinitionProblem('UNSUPPORTED_FEATURE', `The field '${field}' is not supported by the local engine`, `${at}/${field}`);
    }
  }
  for (const field of TEMPLATE_FIELDS) {
    if (state[field] !== undefined) checkTemplate(state[field], `${at}/${field}`, field === 'Assign');
  }
  for (const field of REFERENCE_FIELDS) checkReferenceField(state[field], field, `${at}/${field}`);
  if (state.ErrorPath !== undefined) checkExpression(state.ErrorPath, 'ErrorPath', `${at}/ErrorPath`);
  if (state.CausePath !== undefined) checkExpression(state.CausePath, 'CausePath', `${at}/CausePath`);
  checkResultPath(state.ResultPath, `${at}/ResultPath`);
  (state.Catch ?? []).forEach((c, i) => {
    checkResultPath(c.ResultPath, `${at}/Catch[${i}]/ResultPath`);
    const assign = (c as { Assign?: unknown }).Assign;
    if (assign !== undefined) checkTemplate(assign, `${at}/Catch[${i}]/Assign`, true);
  });
  (state.Choices ?? []).forEach((rule, i) => {
    checkChoiceRule(rule as Record<string, unknown>, `${at}/Choices[${i}]`);
  });
  const processor = state.ItemProcessor ?? state.Iterator;
  if (processor !== undefined) checkGraph(processor, `${at}/ItemProcessor`);
  (state.Branches ?? []).forEach((branch, i) => {
    checkGraph(branch, `${at}/Branches[${i}]`);
  });
}

function checkGraph(graph: Graph & { QueryLanguage?: unknown }, base: string): void {
  for (const [name, state] of Object.entries(graph.States ?? {})) checkState(name, state as StateDef & Record<string, unknown>, base);
}

/** Throws {@link DefinitionProblem} for the first problem in a (schema-valid) definition. */
export function checkDefinition(graph: Graph & { QueryLanguage?: unknown }): void {
  checkGraph(graph, '');
}

/**
 * Sets every state's QueryLanguage to its own or the machine's (JSONPath by
 * default), nested graphs included, so that the interpreter reads one field.
 */
export function withQueryLanguages<T extends Graph>(graph: T): T {
  const language = (graph as { QueryLanguage?: 'JSONPath' | 'JSONata' }).QueryLanguage ?? 'JSONPath';
  const annotate = (g: Graph): void => {
    for (const state of Object.values(g.States ?? {})) {
      state.QueryLanguage ??= language;
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor !== undefined) annotate(processor);
      for (const branch of state.Branches ?? []) annotate(branch);
    }
  };
  annotate(graph);
  return graph;
}
