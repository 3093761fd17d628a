/**
 * How providers refuse an `eth_getLogs` request as too large: too many blocks or too many logs.
 * The request's fault, not the node's (Infura even says it with -32005, the rate-limit code):
 * another node would refuse it too, and a narrower range is the cure (network/log-split.ts).
 */
export const LOGS_TOO_LARGE =
  /query returned more than|more than \d+ (?:results|logs)|maximum block range|block range (?:is )?too (?:large|wide)|range (?:is )?too (?:large|wide)|too many (?:results|logs|blocks)|log response size|limited to a \d+ block range|block range limit|range exceeds/i;
