/**
 * The gateway's reading of NEAR signed transactions (src/rpc/methods/near-send-tx.ts) against
 * NEAR's own code: the hash and signer it finds without decoding are those @near-js computes,
 * for ed25519 and secp256k1 keys, and garbage gives nothing.
 */

import { createHash } from 'node:crypto';
import { KeyPair } from '@near-js/crypto';
import { actionCreators, decodeSignedTransaction, encodeTransaction } from '@near-js/transactions';
import { baseEncode } from '@near-js/utils';
import { describe, expect, it } from 'vitest';
import { base58 } from '../src/rpc/methods/base58.js';
import { signedTxFacts } from '../src/rpc/methods/near-send-tx.js';
import { signedTransactionBase64 } from './support/near-emulator/near-test-client.js';

const BLOCK = '11111111111111111111111111111111';

describe('NEAR signed transaction facts', () => {
  it('finds the hash and signer @near-js finds, for ed25519 and secp256k1 keys', () => {
    for (const keyType of ['ed25519', 'secp256k1'] as const) {
      const keyPair = KeyPair.fromRandom(keyType);
      const base64 = signedTransactionBase64({
        signerId: `relayer-${keyType}.testnet`,
        keyPair,
        nonce: 77n,
        receiverId: 'token.testnet',
        actions: [
          actionCreators.functionCall(
            'ft_transfer',
            { receiver_id: 'a.testnet', amount: '5' },
            10n ** 13n,
            1n,
          ),
          actionCreators.transfer(3n),
        ],
        blockHash: BLOCK,
      });
      const facts = signedTxFacts(base64);
      expect(facts?.signerId).toBe(`relayer-${keyType}.testnet`);
      const inner = encodeTransaction(decodeSignedTransaction(Buffer.from(base64, 'base64')).transaction);
      expect(facts?.hash).toBe(baseEncode(createHash('sha256').update(inner).digest()));
    }
  });

  it('gives nothing for what is not a signed transaction', () => {
    expect(signedTxFacts('')).toBeUndefined();
    expect(signedTxFacts('AAAA')).toBeUndefined();
    expect(signedTxFacts(Buffer.from([255, 255, 255, 255, 1, 2]).toString('base64'))).toBeUndefined();
    expect(signedTxFacts(42)).toBeUndefined();
  });

  it('encodes base58 with leading zero bytes as 1s', () => {
    expect(base58(new Uint8Array(32))).toBe(BLOCK);
    expect(base58(Uint8Array.from([0, 0, 1]))).toBe('112');
    expect(base58(Buffer.from('hello world'))).toBe('StV1DL6CwTryKyV');
  });
});
