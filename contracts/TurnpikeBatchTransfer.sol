// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title TurnpikeBatchTransfer
/// @notice Disperse-style: pulls an ERC-20 from the caller to many recipients in one transaction.
/// The caller approves this contract once; each batch then costs one transaction instead of many.
/// Holds no funds and no state. Any failed transfer reverts the whole batch.
contract TurnpikeBatchTransfer {
    error LengthMismatch();
    error NotAContract();
    /// A transfer failed without a revert reason of its own (the token returned false, say).
    error TransferFailed(uint256 index);

    function transferBatch(address token, address[] calldata recipients, uint256[] calldata amounts) external {
        uint256 n = recipients.length;
        if (n != amounts.length) revert LengthMismatch();
        // A call to an address without code succeeds and returns nothing: that must not pass for a transfer.
        if (token.code.length == 0) revert NotAContract();
        for (uint256 i; i < n; ) {
            _pull(token, recipients[i], amounts[i], i);
            unchecked {
                ++i;
            }
        }
    }

    /// transferFrom(msg.sender, to, amount); passes when the token returns true or nothing (USDT-style).
    function _pull(address token, address to, uint256 amount, uint256 index) private {
        bool ok;
        assembly ("memory-safe") {
            // Build the call past the free memory pointer without moving it: every iteration reuses the
            // same bytes, so memory does not grow with the batch.
            let m := mload(0x40)
            mstore(m, 0x23b872dd00000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x04), caller())
            mstore(add(m, 0x24), to)
            mstore(add(m, 0x44), amount)
            ok := call(gas(), token, 0, m, 0x64, 0x00, 0x20)
            let size := returndatasize()
            // Bubble the token's own reason (insufficient balance…) so the node's error says why.
            if and(iszero(ok), gt(size, 0)) {
                returndatacopy(m, 0, size)
                revert(m, size)
            }
            ok := and(ok, or(iszero(size), and(gt(size, 31), eq(mload(0x00), 1))))
        }
        if (!ok) revert TransferFailed(index);
    }
}
