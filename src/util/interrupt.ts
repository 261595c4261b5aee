/**
 * Undo actions for work in progress (staging dirs, half-written files), run
 * when SIGINT/SIGTERM/SIGHUP ends the command, so an interrupted command
 * leaves nothing behind. SIGKILL cannot be caught: what it leaves is cleared
 * by the next command that takes the store's write lock.
 */
type Undo = () => void;

const pending = new Set<Undo>();
let installed = false;

const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Registers an undo action; call the returned function once the work is done (or undone). */
export function undoOnInterrupt(undo: Undo): () => void {
  if (!installed) {
    installed = true;
    for (const signal of Object.keys(EXIT_CODES) as NodeJS.Signals[]) {
      process.once(signal, () => {
        for (const fn of pending) {
          try {
            fn();
          } catch {
            // best effort: the next command clears what remains
          }
        }
        process.exit(EXIT_CODES[signal]);
      });
    }
  }
  pending.add(undo);
  return () => pending.delete(undo);
}
