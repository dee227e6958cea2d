#!/usr/bin/env python3
"""Random-weight LLaMA-shaped GGUF (F16) for llama-bench: the tokenizer is copied from llama.cpp's
vocab-only models/ggml-vocab-llama-spm.gguf (LLaMA's 32000-token SentencePiece vocabulary), every
weight is a tiled block of random values (speed does not depend on values). Streams tensor by tensor,
so a 7B file (13.5 GB) needs little memory. Quantize the result with llama-quantize (Q8_0, Q4_0).
Usage: make_random_gguf.py OUT.gguf [--layers 32 --embd 4096 --ff 11008 --heads 32]
Copy it next to a llama.cpp checkout (it imports that checkout's gguf-py and vocab file); see docs/llamacpp-peer.md."""
import argparse, sys
from pathlib import Path
import numpy as np
here = Path(__file__).resolve().parent
sys.path.insert(0, str(here / "llama.cpp" / "gguf-py"))
import types
sys.modules.setdefault("sentencepiece", types.SimpleNamespace(SentencePieceProcessor=None))  # gguf-py imports it for conversion only
import gguf

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--layers", type=int, default=32)
p.add_argument("--embd", type=int, default=4096)
p.add_argument("--ff", type=int, default=11008)
p.add_argument("--heads", type=int, default=32)
p.add_argument("--ctx", type=int, default=4096)
a = p.parse_args()

vocab = gguf.GGUFReader(str(here / "llama.cpp" / "models" / "ggml-vocab-llama-spm.gguf"))
tokens = vocab.fields["tokenizer.ggml.tokens"]
n_vocab = len(tokens.data)

w = gguf.GGUFWriter(a.out, "llama")
w.add_name("random-llama-2-7b-shape")
w.add_context_length(a.ctx)
w.add_embedding_length(a.embd)
w.add_block_count(a.layers)
w.add_feed_forward_length(a.ff)
w.add_head_count(a.heads)
w.add_head_count_kv(a.heads)
w.add_rope_dimension_count(a.embd // a.heads)
w.add_layer_norm_rms_eps(1e-5)
w.add_rope_freq_base(10000.0)
w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
w.add_tokenizer_model("llama")
w.add_token_list([bytes(tokens.parts[i]) for i in tokens.data])
scores = vocab.fields["tokenizer.ggml.scores"]
w.add_token_scores([float(scores.parts[i][0]) for i in scores.data])
types = vocab.fields["tokenizer.ggml.token_type"]
w.add_token_types([int(types.parts[i][0]) for i in types.data])
w.add_bos_token_id(1)
w.add_eos_token_id(2)

rng = np.random.default_rng(0)
block = (rng.standard_normal(1 << 20) * 0.02).astype(np.float16)

def matrix(rows, cols):
    n = rows * cols
    reps = -(-n // block.size)
    return np.tile(block, reps)[:n].reshape(rows, cols)

E, F = a.embd, a.ff
plan = [("token_embd.weight", (n_vocab, E), np.float16)]
for i in range(a.layers):
    plan += [(f"blk.{i}.attn_norm.weight", (E,), np.float32),
             (f"blk.{i}.attn_q.weight", (E, E), np.float16), (f"blk.{i}.attn_k.weight", (E, E), np.float16),
             (f"blk.{i}.attn_v.weight", (E, E), np.float16), (f"blk.{i}.attn_output.weight", (E, E), np.float16),
             (f"blk.{i}.ffn_norm.weight", (E,), np.float32),
             (f"blk.{i}.ffn_gate.weight", (F, E), np.float16), (f"blk.{i}.ffn_up.weight", (F, E), np.float16),
             (f"blk.{i}.ffn_down.weight", (E, F), np.float16)]
plan += [("output_norm.weight", (E,), np.float32), ("output.weight", (n_vocab, E), np.float16)]
for name, shape, dt in plan:
    w.add_tensor_info(name, shape, np.dtype(dt), int(np.prod(shape)) * np.dtype(dt).itemsize)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_ti_data_to_file()
for name, shape, dt in plan:
    t = np.ones(shape, dtype=np.float32) if dt == np.float32 else matrix(*shape)
    w.write_tensor_data(t)
w.close()
print(f"wrote {a.out}: {a.layers} layers, embd {E}, ff {F}, vocab {n_vocab}")
