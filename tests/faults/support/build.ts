// Global setup of the fault suite: its scenarios run the API and the worker as deployed
// (`node apps/*/dist/...`), so the workspace is built first. The build is incremental: a few
// seconds when nothing changed.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export default function build(): void {
  execFileSync(process.execPath, ['node_modules/typescript-native/bin/tsc', '-b'], { cwd: repoRoot, stdio: 'inherit' });
}
