#!/usr/bin/env python3
"""Write a BERT masked-LM checkpoint with hashed weights, of any shape, for encoder parity tests.

    python3 Tools/hf-reference/random_bert.py OUT_DIR --hidden 36 --layers 3 --heads 3 \
        --intermediate 50 --positions 64 --seed 1 --tokenizer ../shared/data/models/splade-tiny

OUT_DIR gets config.json, model.safetensors (F32, the reference encoder's tensor names) and the
tokenizer.json of --tokenizer (whose vocabulary sets vocab_size). The Swift tests rebuild the same
weights (Tests/SparrowTextTests/RandomBertTests.swift) and compare their vectors with what
../shared/tools/reference/make_golden.py computes on this checkpoint, so they check shapes the
bundled model does not have (odd hidden sizes, other head counts, more layers).

Weight of element i of tensor number t (in the order of `tensors` below): with
z = splitmix64(seed * 0x9E3779B97F4A7C15 + t * 0xD1B54A32D192ED03 + i) and r = ((z >> 48) - 2**15) / 2**15,
the value is base + scale * r, exact in float32 (base and scale per tensor kind, powers of two).
"""
import argparse, json, os, shutil
import numpy as np
from safetensors.numpy import save_file

ap = argparse.ArgumentParser()
ap.add_argument("out")
for name in ("hidden", "layers", "heads", "intermediate", "positions", "seed"):
    ap.add_argument("--" + name, type=int, required=True)
ap.add_argument("--tokenizer", required=True)
ap.add_argument("--decoder-bias", type=float, default=-3.0)
a = ap.parse_args()

tokenizer = json.load(open(os.path.join(a.tokenizer, "tokenizer.json")))
vocab = len(tokenizer["model"]["vocab"])
H, I = a.hidden, a.intermediate


def tensors():
    """(name, shape, base, scale) in generation order."""
    e = "bert.embeddings."
    yield e + "word_embeddings.weight", (vocab, H), 0.0, 0.25
    yield e + "position_embeddings.weight", (a.positions, H), 0.0, 0.125
    yield e + "token_type_embeddings.weight", (2, H), 0.0, 0.125
    yield e + "LayerNorm.gamma", (H,), 1.0, 0.125
    yield e + "LayerNorm.beta", (H,), 0.0, 0.0625
    for layer in range(a.layers):
        p = f"bert.encoder.layer.{layer}."
        for n in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            yield p + n + ".weight", (H, H), 0.0, 0.25
            yield p + n + ".bias", (H,), 0.0, 0.0625
        yield p + "attention.output.LayerNorm.gamma", (H,), 1.0, 0.125
        yield p + "attention.output.LayerNorm.beta", (H,), 0.0, 0.0625
        yield p + "intermediate.dense.weight", (I, H), 0.0, 0.25
        yield p + "intermediate.dense.bias", (I,), 0.0, 0.0625
        yield p + "output.dense.weight", (H, I), 0.0, 0.25
        yield p + "output.dense.bias", (H,), 0.0, 0.0625
        yield p + "output.LayerNorm.gamma", (H,), 1.0, 0.125
        yield p + "output.LayerNorm.beta", (H,), 0.0, 0.0625
    c = "cls.predictions."
    yield c + "transform.dense.weight", (H, H), 0.0, 0.25
    yield c + "transform.dense.bias", (H,), 0.0, 0.0625
    yield c + "transform.LayerNorm.gamma", (H,), 1.0, 0.125
    yield c + "transform.LayerNorm.beta", (H,), 0.0, 0.0625
    yield c + "bias", (vocab,), a.decoder_bias, 0.25


def hashed(seed, t, count):
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(t) * np.uint64(0xD1B54A32D192ED03)
             + np.arange(count, dtype=np.uint64))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(48)).astype(np.float64) - 32768.0) / 32768.0


weights = {}
for t, (name, shape, base, scale) in enumerate(tensors()):
    weights[name] = (base + scale * hashed(a.seed, t, int(np.prod(shape)))).astype(np.float32).reshape(shape)

os.makedirs(a.out, exist_ok=True)
save_file(weights, os.path.join(a.out, "model.safetensors"))
shutil.copy(os.path.join(a.tokenizer, "tokenizer.json"), os.path.join(a.out, "tokenizer.json"))
config = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": H,
          "num_hidden_layers": a.layers, "num_attention_heads": a.heads, "intermediate_size": I,
          "max_position_embeddings": a.positions, "vocab_size": vocab, "type_vocab_size": 2,
          "layer_norm_eps": 1e-12, "tie_word_embeddings": True}
json.dump(config, open(os.path.join(a.out, "config.json"), "w"), indent=1)
print("wrote", a.out, len(weights), "tensors")
