/** One undo action, named for the report when it fails. */
interface Undo {
  what: string;
  run: () => Promise<void>;
}

/**
 * Undo actions for what a run created, run in reverse order on success, failure and abort (Packer's step
 * Cleanup). An action pushed before its create call also covers a create whose response was lost.
 */
export class Cleanup {
  private readonly actions: Undo[] = [];

  /** Adds an action; the returned function drops it again (for what a successful run keeps). */
  push(what: string, run: () => Promise<void>): () => void {
    const undo = { what, run };
    this.actions.push(undo);
    return () => {
      const index = this.actions.indexOf(undo);
      if (index >= 0) this.actions.splice(index, 1);
    };
  }

  /** Runs every action, newest first; returns what could not be undone, never throws. */
  async run(): Promise<{ what: string; error: unknown }[]> {
    const failed: { what: string; error: unknown }[] = [];
    while (this.actions.length > 0) {
      const undo = this.actions.pop() as Undo;
      try {
        await undo.run();
      } catch (error) {
        failed.push({ what: undo.what, error });
      }
    }
    return failed;
  }
}
