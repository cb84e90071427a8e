"""Train a small CNN on sklearn's bundled 8x8 digits, quantize it to Sibyl's integer scheme, and
export the model, the held-out test set, known-answer vectors and an accuracy report.

Model (NHWC):  uint8 [1,8,8,1] pixels 0..16
  conv 3x3, 8 channels, pad 1, ReLU -> max pool 2x2 -> reshape [1,128]
  -> fully connected 32, ReLU -> fully connected 10 (logits) -> arg max (int32 [1,1])

Usage: python scripts/digits/train.py [--out models/digits]
Everything is seeded; see docs/digits-model.md.
"""

import argparse
import json
import pathlib

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import integer_ops as iops
import sibyl_format as fmt

SEED = 0
PIXEL_MAX = 16.0  # load_digits pixels are 0..16; the model's real input is pixel / 16
CONV_CHANNELS, HIDDEN, CLASSES = 8, 32, 10
EPOCHS, BATCH, LEARNING_RATE = 60, 32, 0.003


# ---------------------------------------------------------------- float model (training only)

def init_params(rng):
    def he(shape, fan_in):
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    return {
        "conv_w": he((CONV_CHANNELS, 3, 3, 1), 9), "conv_b": np.zeros(CONV_CHANNELS),
        "fc1_w": he((HIDDEN, 4 * 4 * CONV_CHANNELS), 128), "fc1_b": np.zeros(HIDDEN),
        "fc2_w": he((CLASSES, HIDDEN), HIDDEN), "fc2_b": np.zeros(CLASSES),
    }


def forward(params, x):
    """x: [n, 8, 8, 1] real-valued. Returns logits and the cache for backprop."""
    n = x.shape[0]
    patches = iops.im2col_nhwc(x, 3, 3, (1, 1), (1, 1, 1, 1), 0.0)        # [n, 8, 8, 9]
    z1 = patches @ params["conv_w"].reshape(CONV_CHANNELS, -1).T + params["conv_b"]
    a1 = np.maximum(z1, 0.0)                                                # [n, 8, 8, C]
    windows = a1.reshape(n, 4, 2, 4, 2, CONV_CHANNELS)
    pooled = windows.max(axis=(2, 4))                                       # [n, 4, 4, C]
    flat = pooled.reshape(n, -1)                                            # NHWC flatten
    z2 = flat @ params["fc1_w"].T + params["fc1_b"]
    a2 = np.maximum(z2, 0.0)
    logits = a2 @ params["fc2_w"].T + params["fc2_b"]
    return logits, (patches, z1, a1, windows, pooled, flat, z2, a2)


def backward(params, cache, logits, labels):
    patches, z1, a1, windows, pooled, flat, z2, a2 = cache
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), labels] + 1e-12).mean()
    d_logits = probs
    d_logits[np.arange(n), labels] -= 1.0
    d_logits /= n
    grads = {"fc2_w": d_logits.T @ a2, "fc2_b": d_logits.sum(axis=0)}
    d_z2 = (d_logits @ params["fc2_w"]) * (z2 > 0)
    grads["fc1_w"], grads["fc1_b"] = d_z2.T @ flat, d_z2.sum(axis=0)
    d_pooled = (d_z2 @ params["fc1_w"]).reshape(pooled.shape)
    is_max = windows == pooled[:, :, None, :, None, :]
    d_a1 = (is_max * d_pooled[:, :, None, :, None, :]).reshape(a1.shape)
    d_z1 = d_a1 * (z1 > 0)
    grads["conv_w"] = (d_z1.reshape(-1, CONV_CHANNELS).T @ patches.reshape(-1, 9)).reshape(params["conv_w"].shape)
    grads["conv_b"] = d_z1.reshape(-1, CONV_CHANNELS).sum(axis=0)
    return loss, grads


def train(x, y, rng):
    params = init_params(rng)
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    step = 0
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x))
        for start in range(0, len(x), BATCH):
            batch = order[start:start + BATCH]
            logits, cache = forward(params, x[batch])
            loss, grads = backward(params, cache, logits, y[batch])
            step += 1
            for key, grad in grads.items():  # Adam
                m, v = moments[key]
                m[:] = 0.9 * m + 0.1 * grad
                v[:] = 0.999 * v + 0.001 * grad * grad
                m_hat, v_hat = m / (1 - 0.9 ** step), v / (1 - 0.999 ** step)
                params[key] -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + 1e-8)
        if epoch % 10 == 9:
            print(f"epoch {epoch + 1}: last batch loss {loss:.4f}")
    return params


# ---------------------------------------------------------------- post-training quantization

def quantize_multiplier(real):
    """real = multiplier / 2^31 * 2^shift with multiplier in [2^30, 2^31)."""
    if real <= 0:
        raise ValueError("requantization multiplier must be positive")
    fraction, exponent = np.frexp(real)  # real = fraction * 2^exponent, fraction in [0.5, 1)
    multiplier = int(round(fraction * (1 << 31)))
    if multiplier == 1 << 31:
        multiplier //= 2
        exponent += 1
    return multiplier, int(exponent)


def activation_quant(values):
    """Asymmetric int8 from the calibration range (which always includes 0)."""
    low, high = min(0.0, float(values.min())), max(0.0, float(values.max()))
    scale = (high - low) / 255.0
    zero_point = int(round(-128 - low / scale))
    return scale, int(np.clip(zero_point, -128, 127))


def quantize_dense(weights, bias, input_scale, output_scale):
    """Per-output-channel symmetric weights, int32 bias, per-channel requantization."""
    flat = weights.reshape(weights.shape[0], -1)
    weight_scales = np.maximum(np.abs(flat).max(axis=1), 1e-12) / 127.0
    q_weights = np.clip(np.round(flat / weight_scales[:, None]), -127, 127).astype(np.int8).reshape(weights.shape)
    q_bias = np.round(bias / (input_scale * weight_scales)).astype(np.int64)
    requants = [quantize_multiplier(input_scale * s / output_scale) for s in weight_scales]
    return q_weights, q_bias.astype(np.int32), requants


def quantize(params, calibration):
    """calibration: real-valued training inputs. Returns integer layers (for numpy and export)."""
    _, (_, _, a1, _, _, _, _, a2) = forward(params, calibration)
    logits, _ = forward(params, calibration)
    input_scale, input_zero_point = 1.0 / PIXEL_MAX, 0
    conv_scale, conv_zp = activation_quant(a1)
    fc1_scale, fc1_zp = activation_quant(a2)
    logit_scale, logit_zp = activation_quant(logits)
    layers = {}
    w, b, r = quantize_dense(params["conv_w"], params["conv_b"], input_scale, conv_scale)
    layers["conv"] = dict(weights=w, bias=b, requants=r, input_zero_point=input_zero_point,
                          output_zero_point=conv_zp, clamp=(conv_zp, 127), stride=(1, 1), padding=(1, 1, 1, 1))
    w, b, r = quantize_dense(params["fc1_w"], params["fc1_b"], conv_scale, fc1_scale)
    layers["fc1"] = dict(weights=w, bias=b, requants=r, input_zero_point=conv_zp,
                         output_zero_point=fc1_zp, clamp=(fc1_zp, 127))
    w, b, r = quantize_dense(params["fc2_w"], params["fc2_b"], fc1_scale, logit_scale)
    layers["fc2"] = dict(weights=w, bias=b, requants=r, input_zero_point=fc1_zp,
                         output_zero_point=logit_zp, clamp=(-128, 127))
    for layer in layers.values():
        layer["multipliers"] = np.array([m for m, _ in layer["requants"]], dtype=np.int64)
        layer["shifts"] = np.array([s for _, s in layer["requants"]], dtype=np.int64)
    return layers


def integer_logits(layers, pixels):
    """pixels: uint8 [n, 8, 8, 1]. The integer model minus its final arg max, as int8 logits."""
    a = iops.conv2d(pixels, layers["conv"])
    a = iops.max_pool2d(a, (2, 2), (2, 2))
    a = a.reshape(a.shape[0], -1)
    a = iops.fully_connected(a, layers["fc1"])
    return iops.fully_connected(a, layers["fc2"])


def export_layers(layers, with_arg_max):
    conv, fc1, fc2 = layers["conv"], layers["fc1"], layers["fc2"]
    out = [
        fmt.conv2d(conv["weights"], conv["bias"], conv["input_zero_point"], conv["requants"],
                   conv["output_zero_point"], conv["clamp"], padding=conv["padding"]),
        fmt.max_pool2d((2, 2), (2, 2)),
        fmt.reshape([1, 4 * 4 * CONV_CHANNELS]),
        fmt.fully_connected(fc1["weights"], fc1["bias"], fc1["input_zero_point"], fc1["requants"],
                            fc1["output_zero_point"], fc1["clamp"]),
        fmt.fully_connected(fc2["weights"], fc2["bias"], fc2["input_zero_point"], fc2["requants"],
                            fc2["output_zero_point"], fc2["clamp"]),
    ]
    if with_arg_max:
        out.append(fmt.arg_max())
    return out


def check_integer_helpers(vectors_path):
    """The numpy helpers must reproduce the pinned gemmlowp known answers."""
    vectors = json.loads(vectors_path.read_text())
    for a, b, expected in vectors["srdhm"]:
        assert iops.srdhm(a, b) == expected, ("srdhm", a, b)
    for x, e, expected in vectors["rdbpot"]:
        assert iops.rounding_divide_by_pot(x, e) == expected, ("rdbpot", x, e)
    for acc, m, s, zp, lo, hi, expected in vectors["requantize"]:
        assert iops.requantize(acc, m, s, zp, lo, hi) == expected, ("requantize", acc, m, s)


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=pathlib.Path, default=root / "models" / "digits")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    check_integer_helpers(root / "packages" / "sibyl-model" / "tests" / "data" / "requantize.json")

    digits = load_digits()
    pixels = digits.data.astype(np.uint8).reshape(-1, 8, 8, 1)
    x_train, x_test, y_train, y_test = train_test_split(
        pixels, digits.target, test_size=0.25, random_state=SEED, stratify=digits.target)
    rng = np.random.default_rng(SEED)
    params = train(x_train / PIXEL_MAX, y_train, rng)

    float_pred = forward(params, x_test / PIXEL_MAX)[0].argmax(axis=1)
    layers = quantize(params, x_train / PIXEL_MAX)
    logits = integer_logits(layers, x_test)
    int_pred = iops.arg_max(logits)[:, 0]
    float_acc, int_acc = float((float_pred == y_test).mean()), float((int_pred == y_test).mean())
    print(f"held-out accuracy: float {float_acc:.4f}, integer {int_acc:.4f} ({len(y_test)} images)")

    input_spec = ("u8", [1, 8, 8, 1])
    files = {
        "digits.sibylmodel": fmt.model_file(input_spec, ("i32", [1, 1]), export_layers(layers, True)),
        "digits_logits.sibylmodel": fmt.model_file(input_spec, ("i8", [1, 10]), export_layers(layers, False)),
    }
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    (args.out / "test_inputs.bin").write_bytes(x_test.astype(np.uint8).tobytes())
    (args.out / "test_labels.bin").write_bytes(y_test.astype(np.uint8).tobytes())
    (args.out / "test_integer_logits.bin").write_bytes(logits.astype(np.int8).tobytes())

    known = []
    for index in range(8):
        image = x_test[index].astype(np.uint8).tobytes()
        label_out = fmt.canonical_tensor("i32", [1, 1], np.int32(int_pred[index]).astype("<i4").tobytes())
        logits_out = fmt.canonical_tensor("i8", [1, 10], logits[index].astype(np.int8).tobytes())
        known.append({
            "test_index": index,
            "input_hex": image.hex(),
            "input_sha256": fmt.sha256_hex(image),
            "label": int(y_test[index]),
            "digits": {"output_hex": label_out.hex(), "output_sha256": fmt.sha256_hex(label_out)},
            "digits_logits": {"output_hex": logits_out.hex(), "output_sha256": fmt.sha256_hex(logits_out)},
        })
    report = {
        "data": "sklearn.datasets.load_digits, train_test_split(test_size=0.25, random_state=0, stratify=y)",
        "test_images": int(len(y_test)),
        "float_accuracy": float_acc,
        "float_correct": int((float_pred == y_test).sum()),
        "integer_accuracy_numpy": int_acc,
        "integer_correct_numpy": int((int_pred == y_test).sum()),
        "float_integer_prediction_agreement": float((float_pred == int_pred).mean()),
        "model_sha256": {name: fmt.sha256_hex(data) for name, data in files.items()},
        "model_bytes": {name: len(data) for name, data in files.items()},
        "input_spec": "uint8 [1, 8, 8, 1] NHWC, raw load_digits pixels 0..16 (real value = pixel / 16)",
        "quantization": {
            name: {"input_zero_point": int(l["input_zero_point"]), "output_zero_point": int(l["output_zero_point"]),
                   "clamp": [int(v) for v in l["clamp"]]}
            for name, l in layers.items()
        },
    }
    (args.out / "known_answers.json").write_text(json.dumps(known, indent=1) + "\n")
    (args.out / "accuracy.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report["model_sha256"], indent=1))


if __name__ == "__main__":
    main()
