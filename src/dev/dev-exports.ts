/**
 * `turnpike/dev`: the demo contracts `turnpike dev` deploys, for benchmarks that build their own
 * chain (imported by package name, not by a path into dist/).
 */
export {
  type DemoContracts,
  type DemoContractsOptions,
  deployDemoContracts,
} from './dev-relayer-contracts.js';
