#!/usr/bin/env python3
"""Records the ONNX Runtime output hashes of OrtParity.NormalisationsAndSoftmaxBitForBit
(tests/runtime/elementwise_test.cpp): the same graph and inputs, run by ORT
(ORT_ENABLE_ALL, 1 thread; record on an x86-64 CPU with AVX-512), each output's float32
bits hashed with 64-bit FNV-1a over its little-endian bytes.

    ~/.cache/saywhen/venv/bin/python tests/runtime/ort_parity_hashes.py
"""
import struct

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper


def vals(n, seed, scale):
    # The test's formula: ((i + seed) * 2654435761 mod 2^32) mod 20001, centred, scaled.
    out = []
    for i in range(n):
        h = ((i + seed) * 2654435761) % (1 << 32) % 20001
        out.append(np.float32(np.float32(h - 10000) / np.float32(10000.0)) * np.float32(scale))
    return np.array(out, dtype=np.float32)


# Softmax inputs whose exponentials land below 2^-126, where MLAS's AVX-512 kernel
# (vscalefps) rounds once: 0, then 16 differences from the maximum.
SUBNORMAL_BITS = [0x00000000, 0xc2b1729d, 0xc2b187b1, 0xc2b19ce2, 0xc2b1b2bd, 0xc2b1c8d0, 0xc2b1e007,
                  0xc2b1f665, 0xc2b20bd6, 0xc2b2230b, 0xc2b2ffec, 0xc2b32cf0, 0xc2b357df, 0xc2b3813c,
                  0xc2b4822a, 0xc2b4dca3, 0xc2b63023]


def fnv1a(a):
    h = 0xcbf29ce484222325
    for byte in a.astype('<f4').tobytes():
        h = ((h ^ byte) * 0x100000001b3) % (1 << 64)
    return h


def main():
    consts = {"C": vals(32, 7, 0.5), "G": vals(32, 11, 1.5), "B": vals(32, 13, 0.3), "G16": vals(16, 17, 1.2),
              "B16": vals(16, 19, 0.2), "G5": vals(5, 23, 1.1), "B5": vals(5, 29, 0.4)}
    ins = [("s1", [1, 4, 32], 1, 4.0), ("s2", [1, 4, 32], 2, 3.0), ("x16", [2, 5, 16], 3, 6.0),
           ("x5", [3, 5], 4, 2.0), ("x40", [3, 40], 5, 8.0), ("x20", [1, 20, 3], 6, 5.0)]
    nodes = [helper.make_node("Constant", [], [k], value=helper.make_tensor(k, TensorProto.FLOAT, [len(v)], v))
             for k, v in consts.items()]
    nodes += [
        helper.make_node("Add", ["s2", "C"], ["t"]),
        helper.make_node("Add", ["s1", "t"], ["u"]),
        helper.make_node("LayerNormalization", ["u", "G", "B"], ["y_skip"], axis=-1),
        helper.make_node("LayerNormalization", ["x16", "G16", "B16"], ["y_ln16"]),
        helper.make_node("LayerNormalization", ["x5", "G5", "B5"], ["y_ln5"]),
        helper.make_node("Softmax", ["x40"], ["y_sm"], axis=-1),
        helper.make_node("Softmax", ["x20"], ["y_smc"], axis=1),
        helper.make_node("Softmax", ["xsub"], ["y_smsub"], axis=-1),
    ]
    outs = ["y_skip", "y_ln16", "y_ln5", "y_sm", "y_smc", "y_smsub"]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s, _, _ in ins]
    inputs.append(helper.make_tensor_value_info("xsub", TensorProto.FLOAT, [1, len(SUBNORMAL_BITS)]))
    graph = helper.make_graph(nodes, "test", inputs, [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                                                      for o in outs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feed = {n: vals(int(np.prod(s)), seed, scale).reshape(s) for n, s, seed, scale in ins}
    feed["xsub"] = np.array(SUBNORMAL_BITS, dtype=np.uint32).view(np.float32).reshape(1, -1)
    for name, y in zip(outs, sess.run(outs, feed)):
        print(f"{name} 0x{fnv1a(y.reshape(-1)):016x}")
    print("y_smsub bits", " ".join(f"{b:08x}" for b in sess.run(["y_smsub"], feed)[0].reshape(-1).view(np.uint32)))


if __name__ == "__main__":
    main()
