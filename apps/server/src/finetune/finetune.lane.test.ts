// The fine-tune lane on the embedded defaults (PGlite, DuckDB, the in-process queue, a tiny
// model): see finetune.lane.fixture.ts.
import { MemoryJobQueue } from '@nilm/queue';
import { openEmbeddedParts } from '../services.fixture.js';
import { describeFinetuneLane } from './finetune.lane.fixture.js';

describeFinetuneLane('embedded', async () => ({
  ...(await openEmbeddedParts('nilm-ft-lane-')),
  queue: new MemoryJobQueue(),
}));
