// SPDX-License-Identifier: MIT
// Test stand-in for the x402 upto proxy (x402UptoPermit2Proxy), written for the local chain.
// Its runtime code is placed at the canonical address 0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002
// with anvil_setCode; Permit2 is a constant (the canonical address), as the real proxy's
// immutable holds on every chain, so no constructor state is needed.
//
// Same ABI and behaviour as the real proxy's settle path:
//   settle(((address token,uint256 amount) permitted,uint256 nonce,uint256 deadline) permit,
//          uint256 amount, address owner, (address to,address facilitator,uint256 validAfter)
//          witness, bytes signature)
// reverts AmountExceedsPermitted (amount > permitted.amount), UnauthorizedFacilitator
// (msg.sender != witness.facilitator), InvalidAmount (0), InvalidOwner, InvalidDestination,
// PaymentTooEarly (block.timestamp < validAfter), in that order, then calls
// Permit2.permitWitnessTransferFrom(permit, (to, amount), owner, witnessHash, WITNESS_TYPE_STRING,
// signature) and emits Settled(). Not a copy; settleWithPermit (EIP-2612 sponsoring) is left out.
pragma solidity ^0.8.24;

interface ISignatureTransferLike {
    struct TokenPermissions {
        address token;
        uint256 amount;
    }

    struct PermitTransferFrom {
        TokenPermissions permitted;
        uint256 nonce;
        uint256 deadline;
    }

    struct SignatureTransferDetails {
        address to;
        uint256 requestedAmount;
    }

    function permitWitnessTransferFrom(
        PermitTransferFrom calldata permit,
        SignatureTransferDetails calldata transferDetails,
        address owner,
        bytes32 witness,
        string calldata witnessTypeString,
        bytes calldata signature
    ) external;
}

contract UptoProxyTest {
    ISignatureTransferLike public constant PERMIT2 =
        ISignatureTransferLike(0x000000000022D473030F116dDEE9F6B43aC78BA3);

    string public constant WITNESS_TYPE_STRING =
        "Witness witness)TokenPermissions(address token,uint256 amount)Witness(address to,address facilitator,uint256 validAfter)";
    bytes32 public constant WITNESS_TYPEHASH = keccak256("Witness(address to,address facilitator,uint256 validAfter)");

    struct Witness {
        address to;
        address facilitator;
        uint256 validAfter;
    }

    event Settled();

    error UnauthorizedFacilitator();
    error AmountExceedsPermitted();
    error InvalidDestination();
    error PaymentTooEarly();
    error InvalidOwner();
    error InvalidAmount();
    error ReentrancyGuardReentrantCall();

    uint256 private _locked;

    function settle(
        ISignatureTransferLike.PermitTransferFrom calldata permit,
        uint256 amount,
        address owner,
        Witness calldata witness,
        bytes calldata signature
    ) external {
        if (_locked != 0) revert ReentrancyGuardReentrantCall();
        _locked = 1;
        if (amount > permit.permitted.amount) revert AmountExceedsPermitted();
        if (msg.sender != witness.facilitator) revert UnauthorizedFacilitator();
        if (amount == 0) revert InvalidAmount();
        if (owner == address(0)) revert InvalidOwner();
        if (witness.to == address(0)) revert InvalidDestination();
        if (block.timestamp < witness.validAfter) revert PaymentTooEarly();
        bytes32 witnessHash =
            keccak256(abi.encode(WITNESS_TYPEHASH, witness.to, witness.facilitator, witness.validAfter));
        PERMIT2.permitWitnessTransferFrom(
            permit,
            ISignatureTransferLike.SignatureTransferDetails({to: witness.to, requestedAmount: amount}),
            owner,
            witnessHash,
            WITNESS_TYPE_STRING,
            signature
        );
        _locked = 0;
        emit Settled();
    }
}
