import type { SectionResult } from '../harness.js';
import { CLIENT_FULL, CLIENT_QUICK, runClient } from './client.js';
import { COLUMNAR_FULL, COLUMNAR_QUICK, runColumnar } from './columnar.js';
import { DATAPATH_FULL, DATAPATH_QUICK, runDataPath } from './datapath.js';
import { DELTA_FULL, DELTA_QUICK, runDelta } from './delta.js';
import { E2E_FULL, E2E_QUICK, runE2e } from './e2e.js';
import { FANOUT_FULL, FANOUT_QUICK, runFanout } from './fanout.js';
import { INDICATORS_FULL, INDICATORS_QUICK, runIndicators } from './indicators.js';
import { INGEST_FULL, INGEST_QUICK, runIngest } from './ingest.js';
import { LOOP_FULL, LOOP_QUICK, runLoop } from './loop.js';
import { NATS_FULL, NATS_QUICK, runNats } from './nats.js';
import { runServe, SERVE_FULL, SERVE_QUICK } from './serve.js';
import { runSnapshot, SNAPSHOT_FULL, SNAPSHOT_QUICK } from './snapshot.js';

/** A section of the bench: its number and how to run it at full or quick size. */
export interface Section {
  readonly id: number;
  run(quick: boolean): Promise<SectionResult>;
}

/** The sections, in order: 1–6 from issue 10, 7 (the replay loop) from issue 13, 8 (indicators) from issue 18, 10 (the server) from issue 14, 11 (the client) from issue 15, 12 (the data path) from issue 19, 13 (NATS) from issue 17. */
export const SECTIONS: readonly Section[] = [
  { id: 1, run: (quick) => runDelta(quick ? DELTA_QUICK : DELTA_FULL) },
  { id: 2, run: (quick) => runSnapshot(quick ? SNAPSHOT_QUICK : SNAPSHOT_FULL) },
  { id: 3, run: (quick) => runIngest(quick ? INGEST_QUICK : INGEST_FULL) },
  { id: 4, run: (quick) => runColumnar(quick ? COLUMNAR_QUICK : COLUMNAR_FULL) },
  { id: 5, run: (quick) => runE2e(quick ? E2E_QUICK : E2E_FULL) },
  { id: 6, run: (quick) => runFanout(quick ? FANOUT_QUICK : FANOUT_FULL) },
  { id: 7, run: (quick) => runLoop(quick ? LOOP_QUICK : LOOP_FULL) },
  { id: 8, run: (quick) => runIndicators(quick ? INDICATORS_QUICK : INDICATORS_FULL) },
  { id: 10, run: (quick) => runServe(quick ? SERVE_QUICK : SERVE_FULL) },
  { id: 11, run: (quick) => runClient(quick ? CLIENT_QUICK : CLIENT_FULL) },
  { id: 12, run: (quick) => runDataPath(quick ? DATAPATH_QUICK : DATAPATH_FULL) },
  { id: 13, run: (quick) => runNats(quick ? NATS_QUICK : NATS_FULL) },
];
