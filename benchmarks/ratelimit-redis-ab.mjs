// A/B of a rate-limit decision through Redis between two builds, in the same run and process:
// each build's RedisRateLimiter on its own connection to one Redis, rounds alternating between
// them. Prints the CPU time of this process per decision (process.cpuUsage: what the request
// path pays, far less skewed by a busy shared machine than decisions/s) and the
// candidate/baseline ratio of the medians, per `tenancy.rateLimitFailure` mode.
//
//   node benchmarks/ratelimit-redis-ab.mjs <baseline dist dir> <candidate dist dir>
//
// Env: REDIS_URL (redis://127.0.0.1:6379), AB_ROUNDS (5), AB_DECISIONS (20000), AB_CONCURRENCY (32).
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

const [baseDir, candidateDir] = process.argv.slice(2).map((dir) => resolve(dir));
if (baseDir === undefined || candidateDir === undefined) {
  console.error('usage: node benchmarks/ratelimit-redis-ab.mjs <baseline dist> <candidate dist>');
  process.exit(2);
}
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const rounds = Number(process.env.AB_ROUNDS ?? 5);
const decisions = Number(process.env.AB_DECISIONS ?? 20_000);
const concurrency = Number(process.env.AB_CONCURRENCY ?? 32);
const rule = { perSecond: 1e9, burst: 1e9 };

async function build(dir, failure) {
  const { RedisRateLimiter } = await import(join(dir, 'ratelimit/redis-limiter.js'));
  const { connectRedis } = await import(join(dir, 'store/redis.js'));
  const client = connectRedis(redisUrl, { commandTimeoutMs: 5_000, offlineQueue: true });
  const prefix = `turnpike-ab-${randomBytes(4).toString('hex')}:`;
  return { limiter: new RedisRateLimiter({ client, prefix, failure }), client };
}

/** CPU µs per decision for `decisions` decisions, `concurrency` at a time, over 64 keys. */
async function round({ limiter }) {
  let next = 0;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < decisions) {
        const n = next++;
        const decision = await limiter.consume(`k${n % 64}`, rule);
        if (!decision.allowed) throw new Error('refused: the A/B rule admits everything');
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / decisions;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const failure of ['open', 'local']) {
  const base = await build(baseDir, failure);
  const candidate = await build(candidateDir, failure);
  await round(base); // warm-up of both (JIT, script load)
  await round(candidate);
  const times = { base: [], candidate: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so a drift of the machine's load hits both alike.
    const order = r % 2 === 0 ? ['base', 'candidate'] : ['candidate', 'base'];
    for (const which of order) times[which].push(await round(which === 'base' ? base : candidate));
  }
  const b = median(times.base);
  const c = median(times.candidate);
  console.log(
    `${failure}: baseline ${b.toFixed(2)} µs CPU/decision [${times.base.map((t) => t.toFixed(1)).join(' ')}], ` +
      `candidate ${c.toFixed(2)} [${times.candidate.map((t) => t.toFixed(1)).join(' ')}], ratio ${(c / b).toFixed(3)}`,
  );
  for (const side of [base, candidate]) {
    await side.limiter.close();
    side.client.disconnect();
  }
}
