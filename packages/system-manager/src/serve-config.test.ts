import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, isReplicaConfig, loadServeConfig, parseConfig, parseServeConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'sys-serve-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const session = { symbols: ['AAPL'], backtest: { start_date: '2025-07-02', end_date: '2025-07-02' } };

function issues(input: unknown): Array<[string, string]> {
  try {
    parseServeConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG');
    return (error as ConfigError).issues.map((i) => [i.path, i.message]);
  }
  throw new Error('expected the config to be refused');
}

describe('publish and follow in the config (sys serve)', () => {
  it('a session config may publish; relative creds_file is relative to the file', async () => {
    const file = join(dir, 'pub.json');
    const publish = {
      url: 'nats://127.0.0.1:4222',
      name: 'day1',
      creds_file: 'sys.creds',
      max_age_seconds: 60,
      max_bytes: 1_048_576,
      snapshot_every: 50,
      snapshot_seconds: 5,
    };
    writeFileSync(file, JSON.stringify({ ...session, publish }));
    const config = await loadServeConfig(file);
    expect(isReplicaConfig(config)).toBe(false);
    expect('publish' in config && config.publish).toEqual({ ...publish, creds_file: join(dir, 'sys.creds') });
    // The same file is a session config for every other command too.
    expect(parseConfig({ ...session, publish }).publish?.url).toBe(publish.url);
  });

  it('a replica config holds only follow; its checkpoint is relative to the file', async () => {
    const file = join(dir, 'follow.json');
    writeFileSync(
      file,
      JSON.stringify({ follow: { url: 'nats://h:4222', name: 'day1', checkpoint: 'r.ckpt' } }),
    );
    const config = await loadServeConfig(file);
    expect(isReplicaConfig(config) && config.follow).toEqual({
      url: 'nats://h:4222',
      name: 'day1',
      checkpoint: join(dir, 'r.ckpt'),
    });
  });

  it('bad values are named by their path', () => {
    expect(
      issues({ ...session, publish: { url: 'http://x:4222', name: 'a.b', max_age_seconds: 0 } }),
    ).toEqual([
      ['publish.url', expect.stringContaining('nats://')],
      ['publish.name', expect.stringContaining('letters, digits')],
      ['publish.max_age_seconds', expect.any(String)],
    ]);
    expect(issues({ ...session, publish: { url: 'nats://x:1', snapshot_every: 1.5, bogus: 1 } })).toEqual([
      ['publish.snapshot_every', expect.any(String)],
      ['publish', expect.stringContaining('bogus')],
    ]);
    expect(issues({ follow: { name: 'day1', checkpoint: '' } })).toEqual([
      ['follow.url', expect.any(String)],
      ['follow.checkpoint', expect.any(String)],
    ]);
    expect(issues({ follow: 'nats://x:4222' })).toEqual([['follow', expect.any(String)]]);
  });

  it('publish and follow together, or a session beside follow, are refused', () => {
    expect(issues({ follow: { url: 'nats://x:4222' }, publish: { url: 'nats://x:4222' } })).toEqual([
      ['publish', 'publish and follow exclude each other: a replica does not publish'],
    ]);
    expect(issues({ ...session, follow: { url: 'nats://x:4222' } }).map(([p]) => p)).toEqual([
      'symbols',
      'backtest',
    ]);
    // A replica config given where a session is expected says what it is.
    expect(() => parseConfig({ follow: { url: 'nats://x:4222' } })).toThrow(/follow: a replica's config/);
  });
});
