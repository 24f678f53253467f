/**
 * `@sys/core/fs`: file helpers shared by the packages that write files (the CLI's `--out`, a replica's
 * checkpoint). A subpath, so the main entry of @sys/core stays free of I/O.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `file` so that a reader sees the old file or the whole new one, never a part: the data
 * goes to a temporary file in the same directory (same filesystem, so the rename is atomic), is flushed to
 * disk, then renamed over the target. Only for a new path or a regular file: see `writeOutFile`.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
