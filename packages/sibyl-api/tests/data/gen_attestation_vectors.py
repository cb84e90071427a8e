#!/usr/bin/env python3
"""Writes attestation_vectors.json: known answers for sibyl_api::attestation, computed here
independently of the Rust code (hashlib for the hashes, python-ecdsa for the signatures).

    pip install ecdsa==0.19.2 && python3 gen_attestation_vectors.py > attestation_vectors.json
"""
import hashlib
import json
import struct

from ecdsa import SECP256k1, SigningKey
from ecdsa.util import sigencode_string_canonize


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


CASES = [
    # name, key seed, chain id, escrow, operator, job id, model, input, output, salt
    ("small", "operator-1", "sibyl-1", "cosmwasm1escrow", "cosmwasm1operator1", 1,
     b"model-a", b"\x00\x01\x02\x03", b"\x01\x00\x00\x00\x0a\x00\x00\x00" + bytes(range(10)), b"\x11" * 32),
    ("max job id", "operator-2", "cosmos-testnet-14002",
     "cosmwasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s4hmalr",
     "cosmwasm1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs0dzt7v",
     2**64 - 1, b"model-b", bytes(range(256)) * 3, b"", b"salt-of-sixteen!"),
    ("empty strings", "operator-3", "", "", "", 0, b"", b"", b"\xff", b"\x00" * 64),
]


def main():
    vectors = []
    for name, seed, chain_id, escrow, operator, job_id, model, inp, out, salt in CASES:
        key = SigningKey.from_string(sha256(("sibyl-test-" + seed).encode()), curve=SECP256k1,
                                     hashfunc=hashlib.sha256)
        model_hash, input_hash, output_hash = sha256(model), sha256(inp), sha256(out)
        d = digest(chain_id, escrow, job_id, model_hash, input_hash, output_hash)
        sig = key.sign_digest_deterministic(d, hashfunc=hashlib.sha256,
                                            sigencode=sigencode_string_canonize)
        vectors.append({
            "name": name,
            "chain_id": chain_id,
            "escrow_addr": escrow,
            "operator": operator,
            "job_id": job_id,
            "model_hash": model_hash.hex(),
            "input": inp.hex(),
            "input_hash": input_hash.hex(),
            "output": out.hex(),
            "output_hash": output_hash.hex(),
            "salt": salt.hex(),
            "commitment": commitment(job_id, output_hash, salt, operator).hex(),
            "digest": d.hex(),
            "private_key": key.to_string().hex(),
            "public_key": key.get_verifying_key().to_string("compressed").hex(),
            "signature": sig.hex(),
        })
    print(json.dumps({"vectors": vectors}, indent=2))


if __name__ == "__main__":
    main()
