import { useMutation } from '@tanstack/preact-query';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { describeError } from '../api.js';

/** A status word with its colour (the class) and the word itself, so colour is never the only sign. */
export function Status({ value }: { value: string }) {
  return <span class={`status status-${value.toLowerCase().replaceAll('_', '-')}`}>{value}</span>;
}

export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}

export function when(at: string | undefined): string {
  if (!at) return '—';
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : date.toLocaleString();
}

/**
 * A button that calls the API once per click and shows what the API said when it refused
 * (the problem's detail), next to the button. `then` runs after a success (e.g. clear a comment).
 */
export function ActionButton(props: {
  readonly label: string;
  readonly run: () => Promise<unknown>;
  readonly then?: () => void;
  readonly variant?: 'primary' | 'danger';
  readonly disabled?: boolean;
  readonly children?: ComponentChildren;
}) {
  const action = useMutation({ mutationFn: props.run, onSuccess: () => props.then?.() });
  return (
    <span class="action">
      <button
        type="button"
        class={props.variant}
        disabled={props.disabled || action.isPending}
        aria-busy={action.isPending ? true : undefined}
        onClick={() => action.mutate()}
      >
        {props.label}
      </button>
      {action.error && <Problem error={action.error} />}
    </span>
  );
}

/** A labelled text input whose value the caller keeps. */
export function TextField(props: { id: string; label: string; value: string; onInput: (value: string) => void; placeholder?: string }) {
  return (
    <span class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="text"
        value={props.value}
        placeholder={props.placeholder}
        onInput={(event) => props.onInput((event.target as HTMLInputElement).value)}
      />
    </span>
  );
}

export function useText(initial = ''): [string, (value: string) => void] {
  return useState(initial);
}
