"""Tiny models built inside the tests (no downloads): a 2-layer BERT with a WordPiece tokenizer."""

from __future__ import annotations

from pathlib import Path

WORDS = ("warm warmer golden sunny orange cozy fire summer cool cold icy blue winter snow frost dark moody "
         "night horror noir gloomy bright light airy happy pastel vivid neon city cyber punk pink purple "
         "green forest matrix look vibes filter make it like the a an of in at morning evening photo old "
         "film black white mono grey sepia retro vintage").split()


def corpus() -> list[str]:
    import itertools
    return [" ".join(p) for p in itertools.islice(itertools.permutations(WORDS, 3), 3000)]


def build_tiny_bert(folder: Path, hidden: int = 32, layers: int = 2) -> Path:
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    wp = BertWordPieceTokenizer(lowercase=True)
    wp.train_from_iterator(corpus(), vocab_size=300, min_frequency=1,
                           special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok = BertTokenizerFast(tokenizer_object=wp._tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                            cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]", do_lower_case=True)
    tok.save_pretrained(folder)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                     num_attention_heads=2, intermediate_size=2 * hidden, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(folder, safe_serialization=True)
    return folder
