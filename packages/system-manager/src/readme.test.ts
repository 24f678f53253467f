import { expect, it } from 'vitest';
import { SystemManager, sampleConfig } from './index.js';

it('the README example works as written', async () => {
  const system = new SystemManager(sampleConfig());
  await system.start();
  await system.done();
  const web = system.toJson({ consumer: 'web' }) as Record<string, unknown>;
  expect(Object.keys(web).sort()).toEqual(['_metadata', 'session_data', 'system_manager', 'threads']);
  expect(web._metadata).toMatchObject({ complete: true, reason: 'new_consumer' });
  const again = system.toJson({ consumer: 'web' });
  expect(again).toEqual({ _metadata: expect.objectContaining({ changed_paths: [], complete: false }) });
  const all = system.toJson({ complete: true }) as Record<string, unknown>;
  expect(all.session_data).toEqual(web.session_data);
});
