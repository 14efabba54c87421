// Everything the run must undo (scratch databases, Redis prefixes, children), registered as it
// is created and run once, newest first, on normal exit, on errors and on SIGINT/SIGTERM.
export type CleanupStep = () => Promise<void> | void;

export class Cleanup {
  private readonly steps: Array<{ label: string; step: CleanupStep }> = [];
  private running: Promise<string[]> | null = null;

  defer(label: string, step: CleanupStep): void {
    this.steps.push({ label, step });
  }

  /** Runs every step once (later calls wait for the first); resolves with the failures. */
  async run(): Promise<string[]> {
    this.running ??= (async () => {
      const failures: string[] = [];
      for (const { label, step } of this.steps.reverse()) {
        try {
          await step();
        } catch (error) {
          failures.push(`${label}: ${(error as Error).message}`);
        }
      }
      return failures;
    })();
    return this.running;
  }
}
