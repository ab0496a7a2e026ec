"""Writes a tiny GGUF model (about 0.5 MB) that real engines load at once.

Vocabulary: <unk>, <s>, </s>, the 256 byte tokens and printable ASCII (space as "▁"), so any text
tokenizes. Weights are seeded random, except that a large constant residual component lets the
output layer keep EOS (and optionally bytes 0x80-0xFF) far below every other token: generations run
as long as asked and stay valid UTF-8. The architecture is llama unless asked otherwise (qwen2,
gemma, starcoder2: what template choice looks at), with the tensors each needs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGUFWriter, TokenType

HIDDEN = 64
LAYERS = 2
HEADS = 4
FEED_FORWARD = 128
ARCHITECTURES = ("llama", "qwen2", "gemma", "starcoder2")


def vocabulary(extra_special: tuple[str, ...] = ()) -> tuple[list[str], list[int]]:
    tokens = ["<unk>", "<s>", "</s>"]
    types = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [TokenType.BYTE] * 256
    tokens += ["▁" if c == " " else c for c in map(chr, range(0x20, 0x7F))]
    types += [TokenType.NORMAL] * (0x7F - 0x20)
    tokens += list(extra_special)
    types += [TokenType.CONTROL] * len(extra_special)
    return tokens, [int(t) for t in types]


def write_tiny_gguf(
    path: Path,
    *,
    seed: int = 0,
    name: str = "hearth tiny test model",
    context_length: int = 4096,
    extra_special: tuple[str, ...] = (),
    allow_eos: bool = False,
    allow_newlines: bool = True,
    chat_template: str | None = None,
    architecture: str = "llama",
    head_dim: int | None = None,
) -> Path:
    """Write the model to ``path`` and return it. ``extra_special`` adds control tokens (FIM).
    ``head_dim`` widens the attention heads past HIDDEN / HEADS: a small file whose KV cache
    per token is large (for memory checks)."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"tiny models come in {', '.join(ARCHITECTURES)}")
    rng = np.random.default_rng(seed)
    tokens, types = vocabulary(extra_special)
    vocab = len(tokens)

    writer = GGUFWriter(str(path), architecture)
    writer.add_name(name)
    writer.add_context_length(context_length)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    if architecture == "starcoder2":
        writer.add_layer_norm_eps(1e-5)
    else:
        writer.add_layer_norm_rms_eps(1e-5)
    width = HIDDEN if head_dim is None else HEADS * head_dim  # all heads of q, k or v
    if head_dim is not None:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
        writer.add_rope_dimension_count(head_dim)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_scores([0.0] * vocab)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_space_prefix(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    def weights(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    embeddings = weights(vocab, HIDDEN, scale=0.5)
    embeddings[:, 0] = 50.0  # a residual component every position carries
    output = weights(vocab, HIDDEN, scale=1.0)
    output[:, 0] = 0.0
    if not allow_eos:
        output[2, 0] = -100.0
        output[3 + 0x80 : 3 + 0x100, 0] = -100.0  # lone continuation/lead bytes
    if not allow_newlines:
        output[3 + 0x0A, 0] = output[3 + 0x0D, 0] = -100.0  # one endless line
    output[0:2, 0] = -100.0  # never <unk> or <s>
    for index, kind in enumerate(types):
        if kind == TokenType.CONTROL and index > 2:
            output[index, 0] = -100.0  # FIM markers are inputs, not outputs

    def ones(size: int) -> np.ndarray:
        return np.ones(size, dtype=np.float32)

    def zeros(size: int) -> np.ndarray:
        return np.zeros(size, dtype=np.float32)

    biased = architecture == "starcoder2"
    writer.add_tensor("token_embd.weight", embeddings)
    writer.add_tensor("output_norm.weight", ones(HIDDEN))
    if biased:
        writer.add_tensor("output_norm.bias", zeros(HIDDEN))
    if architecture != "gemma":  # Gemma ties its output layer to the embeddings
        writer.add_tensor("output.weight", output)
    for layer in range(LAYERS):
        block = f"blk.{layer}"
        writer.add_tensor(f"{block}.attn_norm.weight", ones(HIDDEN))
        for part in ("attn_q", "attn_k", "attn_v"):
            writer.add_tensor(f"{block}.{part}.weight", weights(width, HIDDEN))
        writer.add_tensor(f"{block}.attn_output.weight", weights(HIDDEN, width))
        if architecture == "qwen2":
            for part in ("attn_q", "attn_k", "attn_v"):
                writer.add_tensor(f"{block}.{part}.bias", zeros(width))
        writer.add_tensor(f"{block}.ffn_norm.weight", ones(HIDDEN))
        if biased:
            writer.add_tensor(f"{block}.attn_norm.bias", zeros(HIDDEN))
            writer.add_tensor(f"{block}.attn_output.bias", zeros(HIDDEN))
            writer.add_tensor(f"{block}.ffn_norm.bias", zeros(HIDDEN))
            writer.add_tensor(f"{block}.ffn_up.bias", zeros(FEED_FORWARD))
            writer.add_tensor(f"{block}.ffn_down.bias", zeros(HIDDEN))
        else:
            writer.add_tensor(f"{block}.ffn_gate.weight", weights(FEED_FORWARD, HIDDEN))
        writer.add_tensor(f"{block}.ffn_up.weight", weights(FEED_FORWARD, HIDDEN))
        writer.add_tensor(f"{block}.ffn_down.weight", weights(HIDDEN, FEED_FORWARD))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
