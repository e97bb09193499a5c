import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The state of an embedded AWS service (the scheduler, the CloudWatch alarms) kept as one
 * JSON file in the runtime's persist folder. A save is written in the background, and saves
 * asked for while one is being written collapse into one more write of the latest state.
 * Each write goes to a temporary file renamed over the old one, so a kill mid-write leaves
 * the previous state, never half a file. Without a folder nothing is written.
 */
export class JsonFileStore {
  private saving: Promise<void> | undefined;
  private saveAgain = false;

  constructor(
    private readonly dir: string | undefined,
    private readonly fileName: string,
    /** The state to write, read at the moment of writing. */
    private readonly snapshot: () => unknown,
  ) {}

  /** Writes the current state soon; returns at once. */
  save(): void {
    if (!this.dir) return;
    if (this.saving) {
      this.saveAgain = true;
      return;
    }
    this.saving = this.write().finally(() => {
      this.saving = undefined;
      if (this.saveAgain) {
        this.saveAgain = false;
        this.save();
      }
    });
  }

  /** Resolves once every change saved so far is on disk (at once without a folder). */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
  }

  private async write(): Promise<void> {
    if (!this.dir) return;
    const file = join(this.dir, this.fileName);
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(this.snapshot()), 'utf8');
    await rename(tmp, file);
  }
}
