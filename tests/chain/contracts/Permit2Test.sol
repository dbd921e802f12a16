// SPDX-License-Identifier: MIT
// Test stand-in for canonical Permit2's signature transfers, written for the local chain (anvil
// has no Permit2 and no npm package ships its bytecode). Its runtime code is placed at the
// canonical address 0x000000000022D473030F116dDEE9F6B43aC78BA3 with anvil_setCode.
//
// Same ABI, EIP-712 domain and hashing as Permit2's SignatureTransfer for what x402 uses:
//   - domain EIP712Domain(string name,uint256 chainId,address verifyingContract), name "Permit2",
//     computed from block.chainid and address(this) on every call (so setCode works);
//   - permitWitnessTransferFrom(PermitTransferFrom, SignatureTransferDetails, owner, witness,
//     witnessTypeString, signature): type hash = keccak256(STUB ++ witnessTypeString), struct hash
//     keccak256(abi.encode(typeHash, keccak256(abi.encode(TOKEN_PERMISSIONS_TYPEHASH, permitted)),
//     msg.sender, nonce, deadline, witness)), spender = msg.sender;
//   - unordered nonces: nonceBitmap(owner, word) with bit (nonce & 255) of word (nonce >> 8);
//     invalidateUnorderedNonces(wordPos, mask);
//   - checks in Permit2's order: deadline (SignatureExpired), requested <= permitted
//     (InvalidAmount), nonce (InvalidNonce), signature (65 or 64-byte EOA signatures,
//     InvalidSignatureLength / InvalidSignature / InvalidSigner; ERC-1271 for contracts,
//     InvalidContractSignature), then transferFrom(owner, to, requested) on the token.
// Not a copy of Permit2; the AllowanceTransfer half and permitTransferFrom without a witness are
// left out (x402 does not use them). hashWitnessTransfer is an extra view for tests.
pragma solidity ^0.8.24;

interface IERC20Like {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

interface IERC1271Like {
    function isValidSignature(bytes32 hash, bytes memory signature) external view returns (bytes4);
}

contract Permit2Test {
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

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("Permit2");
    bytes32 public constant TOKEN_PERMISSIONS_TYPEHASH = keccak256("TokenPermissions(address token,uint256 amount)");
    string public constant PERMIT_WITNESS_TRANSFER_FROM_STUB =
        "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,";

    mapping(address => mapping(uint256 => uint256)) public nonceBitmap;

    event UnorderedNonceInvalidation(address indexed owner, uint256 word, uint256 mask);

    error SignatureExpired(uint256 signatureDeadline);
    error InvalidAmount(uint256 maxAmount);
    error InvalidNonce();
    error InvalidSignatureLength();
    error InvalidSignature();
    error InvalidSigner();
    error InvalidContractSignature();

    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, block.chainid, address(this)));
    }

    /// Test helper: the EIP-712 digest a payer signs for `permit` spent by `spender`.
    function hashWitnessTransfer(
        PermitTransferFrom calldata permit,
        address spender,
        bytes32 witness,
        string calldata witnessTypeString
    ) external view returns (bytes32 structHash, bytes32 digest) {
        structHash = _structHash(permit, spender, witness, witnessTypeString);
        digest = keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
    }

    function permitWitnessTransferFrom(
        PermitTransferFrom calldata permit,
        SignatureTransferDetails calldata transferDetails,
        address owner,
        bytes32 witness,
        string calldata witnessTypeString,
        bytes calldata signature
    ) external {
        if (block.timestamp > permit.deadline) revert SignatureExpired(permit.deadline);
        if (transferDetails.requestedAmount > permit.permitted.amount) revert InvalidAmount(permit.permitted.amount);
        bytes32 digest = keccak256(
            abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), _structHash(permit, msg.sender, witness, witnessTypeString))
        );
        _useUnorderedNonce(owner, permit.nonce);
        _verify(signature, digest, owner);
        _transferFrom(permit.permitted.token, owner, transferDetails.to, transferDetails.requestedAmount);
    }

    function invalidateUnorderedNonces(uint256 wordPos, uint256 mask) external {
        nonceBitmap[msg.sender][wordPos] |= mask;
        emit UnorderedNonceInvalidation(msg.sender, wordPos, mask);
    }

    function _structHash(
        PermitTransferFrom calldata permit,
        address spender,
        bytes32 witness,
        string calldata witnessTypeString
    ) private pure returns (bytes32) {
        bytes32 typeHash = keccak256(abi.encodePacked(PERMIT_WITNESS_TRANSFER_FROM_STUB, witnessTypeString));
        bytes32 tokenPermissionsHash =
            keccak256(abi.encode(TOKEN_PERMISSIONS_TYPEHASH, permit.permitted.token, permit.permitted.amount));
        return keccak256(abi.encode(typeHash, tokenPermissionsHash, spender, permit.nonce, permit.deadline, witness));
    }

    function _useUnorderedNonce(address from, uint256 nonce) private {
        uint256 wordPos = nonce >> 8;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 flipped = nonceBitmap[from][wordPos] ^= bit;
        if (flipped & bit == 0) revert InvalidNonce();
    }

    function _verify(bytes calldata signature, bytes32 digest, address claimedSigner) private view {
        if (claimedSigner.code.length > 0) {
            bytes4 magic = IERC1271Like(claimedSigner).isValidSignature(digest, signature);
            if (magic != IERC1271Like.isValidSignature.selector) revert InvalidContractSignature();
            return;
        }
        bytes32 r;
        bytes32 s;
        uint8 v;
        if (signature.length == 65) {
            r = bytes32(signature[0:32]);
            s = bytes32(signature[32:64]);
            v = uint8(signature[64]);
        } else if (signature.length == 64) {
            r = bytes32(signature[0:32]);
            bytes32 vs = bytes32(signature[32:64]);
            s = vs & bytes32(0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff);
            v = uint8(uint256(vs >> 255)) + 27;
        } else {
            revert InvalidSignatureLength();
        }
        address signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert InvalidSignature();
        if (signer != claimedSigner) revert InvalidSigner();
    }

    function _transferFrom(address token, address from, address to, uint256 amount) private {
        (bool ok, bytes memory ret) =
            token.call(abi.encodeWithSelector(IERC20Like.transferFrom.selector, from, to, amount));
        require(ok && (ret.length == 0 || abi.decode(ret, (bool))) && token.code.length > 0, "TRANSFER_FROM_FAILED");
    }
}
