import { constants, type Stats } from 'node:fs';
import { lstat, open, realpath, stat } from 'node:fs/promises';
import { SysError } from '@sys/core';
import { writeFileAtomic } from '@sys/core/fs';

export { writeFileAtomic };

/** An `--out` path that cannot be written as asked (a directory, a block device, a dangling symlink …). */
export class OutFileError extends SysError {
  /** The path as given. */
  readonly path: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('OUT_FILE', `--out ${path}: ${reason}`, options);
    this.path = path;
  }
}

/** How `writeOutFile` wrote: a new file, a regular file replaced atomically, or written through (FIFO, device). */
export type OutWrite = 'created' | 'replaced' | 'written through';

/**
 * Writes a command's output to `file` (`--out`), never replacing what is not a regular file:
 * - a new path is created, and a regular file replaced, atomically (temp file + rename);
 * - a symlink is followed: its target is what is written (replaced atomically when it is a regular file);
 *   a symlink whose target does not exist is refused;
 * - a FIFO or a character device is written through (opened for writing, never created or replaced; a FIFO
 *   waits for its reader);
 * - a directory, a block device or a socket is refused with OutFileError.
 * Returns how it wrote and the path written (the symlink's target when there was one).
 */
export async function writeOutFile(
  file: string,
  data: string | Uint8Array,
): Promise<{ how: OutWrite; path: string }> {
  let target = file;
  let link: Stats;
  try {
    link = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new OutFileError(file, (error as Error).message);
    await writeFileAtomic(file, data);
    return { how: 'created', path: file };
  }
  let info = link;
  if (link.isSymbolicLink()) {
    try {
      target = await realpath(file);
      info = await stat(target);
    } catch (error) {
      throw new OutFileError(
        file,
        `is a symlink whose target does not exist (${(error as Error).message}); create the target or name another path`,
        { cause: error },
      );
    }
  }
  const via = target === file ? '' : ` (the target of the symlink ${file})`;
  if (info.isFile()) {
    await writeFileAtomic(target, data);
    return { how: 'replaced', path: target };
  }
  if (info.isFIFO() || info.isCharacterDevice()) {
    // Opened as it is: no O_CREAT, no O_TRUNC, so the node itself is never replaced.
    const handle = await open(target, constants.O_WRONLY);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    return { how: 'written through', path: target };
  }
  const kind = info.isDirectory() ? 'a directory' : info.isBlockDevice() ? 'a block device' : 'a socket';
  throw new OutFileError(
    file,
    `${target}${via} is ${kind}; --out writes a regular file (replaced atomically), a FIFO or a character device`,
  );
}
