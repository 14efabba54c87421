// Every path that starts the API gives Node the same options (node-flags.ts): the launcher and
// the benchmark take them from API_NODE_OPTIONS; the Dockerfile and docker-compose.yml spell
// them out, and must say the same. And Node accepts them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_NODE_OPTIONS } from './node-flags.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

/** The options before the API's script in a JSON exec-form command line of a Docker file. */
function dockerOptions(text: string): string[] {
  const line = text.split('\n').find((l) => l.includes('apps/api/dist/server.js') && l.includes('['));
  expect(line, 'the API command').toBeDefined();
  const words = JSON.parse(line!.slice(line!.indexOf('['))) as string[];
  return words.slice(1, words.indexOf('apps/api/dist/server.js'));
}

describe('API_NODE_OPTIONS', () => {
  it('are what the Dockerfile and docker-compose.yml start the API with', () => {
    expect(dockerOptions(read('Dockerfile'))).toEqual([...API_NODE_OPTIONS]);
    expect(dockerOptions(read('docker-compose.yml'))).toEqual([...API_NODE_OPTIONS]);
  });

  it('are used by the launcher and by the benchmark', () => {
    expect(read('apps/cli/src/start.ts')).toMatch(/node \$\{API_NODE_OPTIONS\.join\(' '\)\} \$\{root\}apps\/api\/dist\/server\.js/);
    expect(read('bench/src/servers.ts')).toMatch(/apps\/api\/dist\/server\.js`,\s*\/\/[^\n]*\n\s*nodeOptions: API_NODE_OPTIONS,/);
  });

  it('are accepted by this Node', () => {
    expect(execFileSync(process.execPath, [...API_NODE_OPTIONS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' })).toBe('ok');
  });
});
