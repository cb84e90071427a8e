#!/usr/bin/env python3
"""Writes attestation.json: known answers for sibyl_api::attestation that the Rust tests
(tests/attestation_known_answers.rs) and the TypeScript client (packages/sibyl-js) both check.
Computed here independently of either (hashlib for the hashes, python-ecdsa for the signatures),
from the byte layouts documented in src/attestation.rs.

    pip install ecdsa==0.19.2 && python3 gen_attestation.py > attestation.json

Job ids are decimal strings: JSON numbers above 2^53 lose precision in JavaScript.
"""
import hashlib
import json
import pathlib
import struct

from ecdsa import SECP256k1, SigningKey
from ecdsa.util import sigencode_string_canonize

REPO = pathlib.Path(__file__).resolve().parents[4]


def lp(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def commitment(job_id, output_hash, salt, operator):
    return sha256(lp(b"sibyl/commitment/v1") + struct.pack(">Q", job_id) + output_hash
                  + lp(salt) + lp(operator.encode()))


def digest(chain_id, escrow, job_id, model_hash, input_hash, output_hash):
    return sha256(lp(b"sibyl/attestation/v1") + lp(chain_id.encode()) + lp(escrow.encode())
                  + struct.pack(">Q", job_id) + model_hash + input_hash + output_hash)


def key_possession(chain_id, staking, operator, pubkey):
    return sha256(lp(b"sibyl/attestation-key/v1") + lp(chain_id.encode()) + lp(staking.encode())
                  + lp(operator.encode()) + lp(pubkey))


def key(seed):
    return SigningKey.from_string(sha256(("sibyl-test-" + seed).encode()), curve=SECP256k1,
                                  hashfunc=hashlib.sha256)


def sign(signing_key, message_hash):
    # RFC 6979, low s: what k256's sign_prehash produces, so the Rust test can compare bytes.
    return signing_key.sign_digest_deterministic(message_hash, hashfunc=hashlib.sha256,
                                                 sigencode=sigencode_string_canonize)


def canonical_i32(shape, values):
    return (b"SIBT" + bytes([1, 3, len(shape)]) + b"".join(struct.pack("<I", d) for d in shape)
            + b"".join(struct.pack("<i", v) for v in values))


ESCROW = "wasm1nc5tatafv6eyq7llkr2gv50ff9e22mnf70qgjlv737ktmt4eswrq0kdhcj"
STAKING = "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d"
OPERATOR = "wasm1cyyzpxplxdzkeea7kwsydadg87357qnahakaks"
DIGITS_MODEL = (REPO / "models/digits/digits.sibylmodel").read_bytes()
FIRST_DIGIT = (REPO / "models/digits/test_inputs.bin").read_bytes()[:64]

ATTESTATIONS = [
    # name, key seed, chain id, escrow, job id, model file, input, output
    ("digits model, first test image, output [[2]]", "operator-1", "sibyl-localnet-1", ESCROW, 1,
     DIGITS_MODEL, FIRST_DIGIT, canonical_i32([1, 1], [2])),
    ("max job id", "operator-2", "cosmos-testnet-14002", ESCROW, 2**64 - 1,
     b"model-b", bytes(range(256)), canonical_i32([2, 3], [-2**31, -1, 0, 1, 7, 2**31 - 1])),
    ("job id above 2^53", "operator-3", "sibyl-1", "wasm1escrow", 2**53 + 1,
     b"model-c", b"\x00", canonical_i32([], [0])),
    ("empty strings", "operator-4", "", "", 0, b"", b"", b""),
    ("non-ASCII chain id and escrow", "operator-5", "sibyl-テスト-ü", "wasm1éscrow-ñ", 42,
     b"model-d", "ü".encode(), b"\xff"),
]

COMMITMENTS = [
    # name, job id, output, salt, operator
    ("32-byte salt", 1, canonical_i32([1, 1], [2]), bytes(range(32)),
     OPERATOR),
    ("empty salt", 7, canonical_i32([1, 1], [2]), b"", OPERATOR),
    ("long operator address", 2**64 - 1, b"\x01\x02", b"\x11" * 32,
     "cosmwasm1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs0dzt7v" * 3),
    ("non-ASCII operator", 3, b"", b"salt", "opérateur-ユ"),
    # The same bytes as the next case without length prefixes: the commitments must differ.
    ("salt and operator split one way", 5, b"x", b"salt", "op"),
    ("salt and operator split another way", 5, b"x", b"sal", "top"),
]

# The generator point: the public key of the secret scalar 1.
GENERATOR = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")

KEY_POSSESSIONS = [
    # name, key seed (None: the public key alone), chain id, staking, operator, public key
    ("generator point (pinned in src/attestation.rs)", None, "sibyl-1", "wasm1staking",
     "wasm1operator", GENERATOR),
    ("a registration", "operator-1", "sibyl-localnet-1", STAKING,
     OPERATOR, None),
    ("empty chain id, non-ASCII operator", "operator-5", "", STAKING, "opérateur-ユ",
     None),
]


def main():
    attestations = []
    for name, seed, chain_id, escrow, job_id, model, inp, out in ATTESTATIONS:
        signing_key = key(seed)
        model_hash, input_hash, output_hash = sha256(model), sha256(inp), sha256(out)
        d = digest(chain_id, escrow, job_id, model_hash, input_hash, output_hash)
        attestations.append({
            "name": name,
            "chain_id": chain_id,
            "escrow": escrow,
            "job_id": str(job_id),
            "model_hash": model_hash.hex(),
            "input": inp.hex(),
            "input_hash": input_hash.hex(),
            "output": out.hex(),
            "output_hash": output_hash.hex(),
            "digest": d.hex(),
            "private_key": signing_key.to_string().hex(),
            "public_key": signing_key.get_verifying_key().to_string("compressed").hex(),
            "signature": sign(signing_key, d).hex(),
        })
    commitments = []
    for name, job_id, out, salt, operator in COMMITMENTS:
        output_hash = sha256(out)
        commitments.append({
            "name": name,
            "job_id": str(job_id),
            "output_hash": output_hash.hex(),
            "salt": salt.hex(),
            "operator": operator,
            "commitment": commitment(job_id, output_hash, salt, operator).hex(),
        })
    key_possessions = []
    for name, seed, chain_id, staking, operator, pubkey in KEY_POSSESSIONS:
        signing_key = key(seed) if seed else None
        if signing_key:
            pubkey = signing_key.get_verifying_key().to_string("compressed")
        d = key_possession(chain_id, staking, operator, pubkey)
        entry = {
            "name": name,
            "chain_id": chain_id,
            "staking": staking,
            "operator": operator,
            "public_key": pubkey.hex(),
            "digest": d.hex(),
        }
        if signing_key:
            entry["private_key"] = signing_key.to_string().hex()
            entry["signature"] = sign(signing_key, d).hex()
        key_possessions.append(entry)
    print(json.dumps({
        "attestation_digests": attestations,
        "commitments": commitments,
        "key_possession_digests": key_possessions,
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
