/**
 * Which process holds the server end of a loopback TCP connection, from /proc (Linux): the
 * connection's inode in /proc/net/tcp, then the process whose file descriptors include it.
 * Tells which node:cluster worker a client's socket landed on.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Inode of the IPv4 connection whose local port is `serverPort` and remote port `clientPort`. */
function connectionInode(serverPort: number, clientPort: number): string | undefined {
  const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
  for (const row of rows) {
    const fields = row.trim().split(/\s+/);
    const local = Number.parseInt(fields[1]?.split(':')[1] ?? '', 16);
    const remote = Number.parseInt(fields[2]?.split(':')[1] ?? '', 16);
    if (local === serverPort && remote === clientPort) return fields[9];
  }
  return undefined;
}

/** The pid of `pids` holding the server end of the connection from `clientPort`; undefined if none. */
export function socketOwner(
  serverPort: number,
  clientPort: number,
  pids: readonly number[],
): number | undefined {
  const inode = connectionInode(serverPort, clientPort);
  if (inode === undefined) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {
        // The descriptor closed while we read.
      }
    }
  }
  return undefined;
}
