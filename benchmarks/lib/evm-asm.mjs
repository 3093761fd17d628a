// A tiny EVM assembler (the handful of opcodes the codec benchmark's contracts use, plus labels),
// so the benchmark can deploy contracts without a Solidity compiler or network access.

const OPCODES = {
  STOP: 0x00,
  ADD: 0x01,
  SUB: 0x03,
  ISZERO: 0x15,
  CALLER: 0x33,
  CALLDATALOAD: 0x35,
  CALLDATASIZE: 0x36,
  CALLDATACOPY: 0x37,
  CODECOPY: 0x39,
  NUMBER: 0x43,
  MSTORE: 0x52,
  JUMP: 0x56,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  DUP1: 0x80,
  DUP2: 0x81,
  SWAP1: 0x90,
  LOG2: 0xa2,
  LOG3: 0xa3,
  RETURN: 0xf3,
};

/**
 * Assembles a program given as tokens: opcode names, `PUSHn <hex or @label>`, and `label:`.
 * Label references are two bytes (use them with PUSH2). Returns the bytecode as 0x-hex.
 */
export function assemble(source) {
  const tokens = source
    .replace(/;[^\n]*/g, '')
    .split(/\s+/)
    .filter(Boolean);
  const labels = new Map();
  const emit = (resolve) => {
    const bytes = [];
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      if (token.endsWith(':')) {
        labels.set(token.slice(0, -1), bytes.length);
        continue;
      }
      const push = /^PUSH(\d+)$/.exec(token);
      if (push) {
        const width = Number(push[1]);
        const arg = tokens[++i];
        let hex;
        if (arg.startsWith('@')) {
          const at = resolve ? labels.get(arg.slice(1)) : 0;
          if (at === undefined) throw new Error(`unknown label ${arg}`);
          hex = at.toString(16);
        } else {
          hex = arg.replace(/^0x/, '');
        }
        if (hex.length > width * 2) throw new Error(`${arg} does not fit PUSH${width}`);
        bytes.push(0x5f + width, ...Buffer.from(hex.padStart(width * 2, '0'), 'hex'));
        continue;
      }
      const op = OPCODES[token];
      if (op === undefined) throw new Error(`unknown opcode ${token}`);
      bytes.push(op);
    }
    return bytes;
  };
  emit(false); // first pass: label offsets (every reference has a fixed width)
  return `0x${Buffer.from(emit(true)).toString('hex')}`;
}

/** Init code that returns `runtime` (0x-hex) as the deployed code. */
export function deployCode(runtime) {
  const length = (runtime.length - 2) / 2;
  const prefix = assemble(`PUSH2 ${length.toString(16)} DUP1 PUSH1 0c PUSH1 00 CODECOPY PUSH1 00 RETURN`);
  if ((prefix.length - 2) / 2 !== 0x0c) throw new Error('init code prefix length changed');
  return `${prefix}${runtime.slice(2)}`;
}
