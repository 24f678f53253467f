import { SysError } from '@sys/core';
/** An operation the system cannot do in its current state (e.g. step while running). */
export class SystemStateError extends SysError {
  constructor(action: string, state: string, hint: string) {
    super('SYSTEM_STATE', `cannot ${action} while the system is ${state}: ${hint}`);
  }
}
