import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { SystemManager, sampleConfig } from '@sys/system-manager';
import { expect, it } from 'vitest';
import { testReadmeExamples } from '../../../scripts/readme-examples.mjs';
import { startServer } from './index.js';

testReadmeExamples(new URL('../README.md', import.meta.url));

it('every curl line of the README works against a running server', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const lines = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
    .flatMap((m) => (m[1] ?? '').split('\n'))
    .filter((l) => l.startsWith('curl '));
  expect(lines.length).toBeGreaterThanOrEqual(4);
  const token = 'readme-token';
  const manager = new SystemManager(sampleConfig());
  const server = await startServer({ manager, port: 0, token });
  try {
    await manager.start();
    await manager.done();
    for (const line of lines) {
      const command = line.replaceAll('http://127.0.0.1:7070', server.url);
      const { stdout } = await promisify(execFile)('sh', ['-c', `${command}; echo " exit=$?"`], {
        env: { ...process.env, SYS_TOKEN: token },
      });
      const [body, code] = stdout.split(' exit=');
      if (line.includes('/v1/stream')) {
        // curl ends the stream at --max-time (exit 28); it got the first envelope before.
        expect(code?.trim()).toBe('28');
        expect(body).toMatch(/^event: snapshot$/m);
      } else {
        expect(code?.trim()).toBe('0');
        expect(JSON.parse(body ?? '')).not.toHaveProperty('error');
      }
    }
  } finally {
    await server.close();
  }
}, 60_000);
