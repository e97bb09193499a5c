/**
 * File persistence for the engine: one JSON document per state machine and
 * per execution, each written atomically (temp file + rename) so that a crash
 * mid-write never leaves a torn file. Writes are coalesced per key: many
 * state transitions in a burst cost one write of the latest snapshot.
 */

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJson, stringifyJson } from './json.js';

/** A persisted collection. */
export type StoreKind = 'state-machines' | 'executions' | 'activities';

/** Error raised when a persisted document cannot be read back. */
export class PersistenceError extends Error {
  override readonly name = 'PersistenceError';
}

/** Coalescing, atomic JSON snapshot store rooted at a directory. */
export class SnapshotStore {
  private readonly pending = new Map<string, { kind: StoreKind; id: string; snapshot: () => unknown }>();
  private draining: Promise<void> | undefined;
  private frozen = false;

  constructor(private readonly dir: string) {}

  /** Creates the directory layout. */
  async init(): Promise<void> {
    await mkdir(join(this.dir, 'state-machines'), { recursive: true });
    await mkdir(join(this.dir, 'executions'), { recursive: true });
    await mkdir(join(this.dir, 'activities'), { recursive: true });
  }

  private file(kind: StoreKind, id: string): string {
    return join(this.dir, kind, `${createHash('sha256').update(id).digest('hex').slice(0, 40)}.json`);
  }

  /**
   * Schedules a write of `snapshot()` under `id`. The snapshot is taken when
   * the write happens, so it is always the latest state.
   */
  schedule(kind: StoreKind, id: string, snapshot: () => unknown): void {
    if (this.frozen) return;
    this.pending.set(`${kind}/${id}`, { kind, id, snapshot });
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const batch = [...this.pending.values()];
        this.pending.clear();
        // Serialise before the first await: the snapshot is of one moment.
        const docs = batch.map((b) => ({ path: this.file(b.kind, b.id), text: stringifyJson(b.snapshot()) ?? 'null' }));
        await Promise.all(docs.map((d) => this.writeAtomic(d.path, d.text)));
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async writeAtomic(path: string, text: string): Promise<void> {
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, path);
  }

  /** Deletes a document (and any pending write of it). */
  async remove(kind: StoreKind, id: string): Promise<void> {
    this.pending.delete(`${kind}/${id}`);
    await rm(this.file(kind, id), { force: true });
  }

  /** Waits until every scheduled write is on disk. */
  async flush(): Promise<void> {
    while (this.draining !== undefined || this.pending.size > 0) {
      if (this.draining === undefined) this.draining = this.drain();
      await this.draining;
    }
  }

  /**
   * Takes the pending snapshots now, stops accepting writes, and puts those
   * snapshots on disk: what a closing engine leaves behind is the state at
   * the moment of closing, whatever its halted runs do afterwards.
   */
  async freeze(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.frozen = true;
    const docs = batch.map((b) => ({ path: this.file(b.kind, b.id), text: stringifyJson(b.snapshot()) ?? 'null' }));
    if (this.draining !== undefined) await this.draining;
    await Promise.all(docs.map((d) => this.writeAtomic(d.path, d.text)));
  }

  /** Reads every document of a kind. */
  async loadAll(kind: StoreKind): Promise<unknown[]> {
    const dir = join(this.dir, kind);
    const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
    return Promise.all(
      names.map(async (n) => {
        const text = await readFile(join(dir, n), 'utf8');
        try {
          return parseJson(text);
        } catch (err) {
          throw new PersistenceError(`Corrupt persisted document ${join(dir, n)}`, { cause: err });
        }
      }),
    );
  }
}
