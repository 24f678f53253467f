import { describe, expect, it, vi } from 'vitest';
import { JsonValueError, SysError } from './errors.js';

describe('SysError.isInstance', () => {
  it('is true for errors of this copy and its subclasses, false for others', () => {
    expect(SysError.isInstance(new SysError('X', 'x'))).toBe(true);
    expect(SysError.isInstance(new JsonValueError('/a', 'NaN'))).toBe(true);
    expect(SysError.isInstance(new Error('plain'))).toBe(false);
    expect(SysError.isInstance({ code: 'X', message: 'x' })).toBe(false);
    expect(SysError.isInstance(null)).toBe(false);
  });

  it('recognises an error made by a second copy of the package, where instanceof does not', async () => {
    // A second module instance of the same source: what two installed copies of @sys/core amount to.
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.SysError).not.toBe(SysError);
    const foreign = new copy.JsonValueError('/x', 'undefined');
    expect(foreign instanceof SysError).toBe(false);
    expect(SysError.isInstance(foreign)).toBe(true);
    expect(copy.SysError.isInstance(new SysError('Y', 'y'))).toBe(true);
  });

  it('keeps code, name and cause', () => {
    const cause = new Error('root');
    const e = new JsonValueError('', 'a cycle');
    expect(e.name).toBe('JsonValueError');
    expect(e.code).toBe('JSON_VALUE');
    expect(e.message).toContain('(root)');
    expect(new SysError('C', 'm', { cause }).cause).toBe(cause);
  });
});
