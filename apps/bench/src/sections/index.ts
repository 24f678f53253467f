import type { SectionResult } from '../harness.js';
import { DELTA_FULL, DELTA_QUICK, runDelta } from './delta.js';

/** A section of the bench: its number and how to run it at full or quick size. */
export interface Section {
  readonly id: number;
  run(quick: boolean): Promise<SectionResult>;
}

/** The six sections of issue 10, in order. */
export const SECTIONS: readonly Section[] = [
  { id: 1, run: (quick) => runDelta(quick ? DELTA_QUICK : DELTA_FULL) },
];
