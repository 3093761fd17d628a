// The scripted faults, one per phase: inject() at the start of the fault window, lift() at its
// end (a supervisor restarting what was killed, a partition healed, a service back).
//
// The partition drops packets with iptables on the upstream listener's port, both directions
// on `lo`: packets vanish (no RST, no ICMP), so the gateway sees connect and read timeouts as
// across a real partition, not the instant "connection refused" of a closed port. A network
// namespace with a veth pair would do the same, but needs the listener started inside the
// namespace; the iptables rule cuts the same listener the other phases use. Rules carry a
// comment naming this process and are removed on lift and on every way out (process exit).
import { execFileSync } from 'node:child_process';
import { diskFullFault } from './disk-full.mjs';
import { relayerWorkerPid } from './fleet.mjs';

const COMMENT = `turnpike-chaos-${process.pid}`;

function partitionRules(port) {
  return [
    ['INPUT', '-i', 'lo', '-p', 'tcp', '--dport', String(port)],
    ['OUTPUT', '-o', 'lo', '-p', 'tcp', '--sport', String(port)],
  ].map(([chain, ...match]) => [chain, ...match, '-m', 'comment', '--comment', COMMENT, '-j', 'DROP']);
}

/** Removes every rule this process added (idempotent; run on lift and at exit). */
export function healPartitions() {
  for (const chain of ['INPUT', 'OUTPUT']) {
    let listing = '';
    try {
      listing = execFileSync('iptables', ['-S', chain], { encoding: 'utf8' });
    } catch {
      return;
    }
    for (const line of listing.split('\n')) {
      if (!line.includes(COMMENT)) continue;
      const args = line
        .replace(/^-A /, '-D ')
        .match(/"[^"]*"|\S+/g)
        .map((a) => a.replace(/^"|"$/g, ''));
      try {
        execFileSync('iptables', args);
      } catch {
        // Already gone.
      }
    }
  }
}
process.on('exit', healPartitions);

/** Drops every packet to and from a loopback port until healPartitions(). */
function partition(port) {
  for (const rule of partitionRules(port)) execFileSync('iptables', ['-I', ...rule]);
}

const killed = (part) => ({ inject: () => part.kill(), lift: () => part.start() });

/**
 * name → (fleet, context) → { what, inject(), lift() }, optionally with setup()/teardown()
 * and its own origin, keys and token (disk-full runs against an instance of its own).
 */
export const FAULTS = {
  baseline: () => ({ what: 'no fault', inject: async () => {}, lift: async () => {} }),
  'gateway-kill': (fleet) => ({
    what: 'kill -9 of gateway instance 0 (its process group), restarted at the end of the window',
    ...killed(fleet.gateways[0]),
  }),
  'upstream-kill': (fleet) => ({
    what: 'kill -9 of upstream listener u0, restarted at the end of the window',
    ...killed(fleet.upstreams[0]),
  }),
  partition: (fleet) => ({
    what: "iptables DROP both ways on lo for upstream u0's port, removed at the end of the window",
    inject: async () => partition(fleet.upstreams[0].port),
    lift: async () => healPartitions(),
  }),
  'redis-down': (fleet) => ({
    what: 'Redis killed (SIGKILL), restarted empty at the end of the window',
    // local: full local buckets when Redis dies, an empty (full-bucket) Redis when it is back.
    extraBursts: (options) => (options.rateLimitFailure === 'local' ? 2 : 1),
    ...killed(fleet.redis),
  }),
  // Redis stays up but silent: open connections stay open and nothing is answered, so every
  // command waits for its timeout (tenancy.rateLimitTimeoutMs for rate limits) instead of
  // failing at once as against a dead Redis.
  'redis-partition': (fleet) => ({
    what: "iptables DROP both ways on lo for Redis's port, removed at the end of the window",
    // local: full local buckets when Redis goes silent; Redis keeps its buckets.
    extraBursts: (options) => (options.rateLimitFailure === 'local' ? 1 : 0),
    inject: async () => partition(fleet.redis.port),
    lift: async () => healPartitions(),
  }),
  'postgres-down': (fleet) => ({
    what: 'PostgreSQL killed (SIGKILL to the postmaster group), restarted at the end of the window',
    ...killed(fleet.postgres),
  }),
  'relayer-kill': (fleet) => ({
    what: "kill -9 of every instance's relayer-engine worker; each primary replaces its worker",
    inject: async () => {
      for (const gateway of fleet.gateways) {
        const pid = await relayerWorkerPid(gateway);
        if (pid === null) throw new Error(`gateway-${gateway.index}: no relayer worker found`);
        process.kill(pid, 'SIGKILL');
      }
    },
    lift: async () => {},
  }),
  'disk-full': diskFullFault,
};

export const PHASES = Object.keys(FAULTS);
