"""Throughput of onnxruntime's MatMulInteger (int8 GEMM with int32 output) at 256, 512, 1024 square,
for comparison with sibyl-model's exact CPU GEMM (docs/benchmarks-inference.md).

Reports G MAC/s (n^3 multiply-accumulates per call) for uint8 x int8 (onnxruntime's fastest path)
and int8 x int8, single-threaded and with the default thread pool.

Usage: python scripts/bench/onnxruntime_gemm.py [--seconds 3]
"""

import argparse
import json
import platform
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper


def matmul_integer_model(a_type, n):
    a = helper.make_tensor_value_info("A", a_type, [n, n])
    b = helper.make_tensor_value_info("B", TensorProto.INT8, [n, n])
    a_zero = helper.make_tensor("a_zero_point", a_type, [], [3])
    y = helper.make_tensor_value_info("Y", TensorProto.INT32, [n, n])
    node = helper.make_node("MatMulInteger", ["A", "B", "a_zero_point"], ["Y"])
    graph = helper.make_graph([node], "gemm", [a, b], [y], initializer=[a_zero])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def measure(n, a_dtype, threads, seconds):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    a_type = TensorProto.UINT8 if a_dtype == np.uint8 else TensorProto.INT8
    session = ort.InferenceSession(matmul_integer_model(a_type, n), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(n)
    info = np.iinfo(a_dtype)
    a = rng.integers(info.min, info.max + 1, size=(n, n), dtype=a_dtype)
    b = rng.integers(-127, 128, size=(n, n), dtype=np.int8)
    feeds = {"A": a, "B": b}
    session.run(None, feeds)  # warm up
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        session.run(None, feeds)
        calls += 1
    elapsed = time.perf_counter() - start
    return n ** 3 * calls / elapsed / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    results = []
    for threads in (1, 0):
        for a_dtype in (np.uint8, np.int8):
            for n in (256, 512, 1024):
                gmacs = measure(n, a_dtype, threads, args.seconds)
                row = {"n": n, "a": np.dtype(a_dtype).name, "b": "int8",
                       "threads": threads or "default", "gmac_per_s": round(gmacs, 2)}
                print(json.dumps(row), flush=True)
                results.append(row)
    print(json.dumps({"onnxruntime": ort.__version__, "python": platform.python_version()}))


if __name__ == "__main__":
    main()
