import { beforeEach, onTestFailed } from 'vitest';
import { takeTestLines } from './output.ts';

// A setup file (vitest.config.ts): the handlers' lines are kept, and shown only for a failed test.
beforeEach(() => {
  takeTestLines();
  onTestFailed(({ task }) => {
    const lines = takeTestLines();
    if (lines.length > 0) process.stdout.write(`\n--- log lines of "${task.name}" ---\n${lines.join('\n')}\n`);
  });
});
