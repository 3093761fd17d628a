// Preloaded into Turnpike's workers by `bench:ws` (`node --import`): appends every block the
// subscription feed fans out (the `turnpike:realtime:feed-block` diagnostics channel: tracker
// saw it, loaded, handed to the sockets, written to the kernel) as one JSON line to
// $BENCH_WS_TRACE_DIR/<pid>.jsonl. The gateway builds the event only while this listens.

import diagnostics from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_WS_TRACE_DIR;
if (dir) {
  const file = join(dir, `${process.pid}.jsonl`);
  diagnostics.subscribe('turnpike:realtime:feed-block', (event) => {
    appendFileSync(file, `${JSON.stringify(event)}\n`);
  });
}
