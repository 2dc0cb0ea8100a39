"""The strategies: one row each, read by the passes, the output formats and the meta prompt."""

from __future__ import annotations

from dataclasses import dataclass

LOW, MEDIUM, HIGH = "low", "medium", "high"
LEVELS = (LOW, MEDIUM, HIGH)
OUTPUT_FORMATS = ("default", "markdown", "json")


@dataclass(frozen=True, slots=True)
class Strategy:
    """What one target model family changes in the rules; adding a strategy is one row."""

    name: str
    # Drop a serial comma ("a, b, and c") and the comma after a sequence word ("Then,").
    optional_commas: bool
    # "Step 1: do x" becomes the markdown item "1. do x".
    step_items: bool
    # Lower-case SHOUTED instruction words at medium.
    calm_shouting: bool
    # How `markdown` output renders a section: "heading" (## Task) or "xml" (<task>).
    section_style: str
    # Phrase-rule groups this strategy leaves out, and groups only it applies.
    excluded_groups: frozenset[str]
    extra_groups: frozenset[str]
    # Words the high level's word pass may drop (articles, copulas).
    drops_articles: bool
    # What an LLM provider is told about the target model.
    guidance: str


# What an LLM provider is told about each target model.
_GUIDANCE = {
    "UNIVERSAL": "Target model: any. Use plain, neutral wording that every model reads the "
    "same way.",
    "GPT": "Target model: OpenAI GPT. Where the output format allows structure, prefer "
    "Markdown:\nshort headings and bullet lists for instructions and constraints.",
    "CLAUDE": "Target model: Anthropic Claude. Where the output format allows structure, "
    "prefer sections\nwrapped in descriptive XML tags such as <task>, <context>, "
    "<constraints> and\n<output_format>. Keep any XML tags the prompt already has, unchanged.",
    "DEEPSEEK": "Target model: DeepSeek. Be terse and direct: imperative sentences, no "
    "preamble, no\ndecoration, no restating of the task.",
    "LEGAL": """\
Legal text. These rules override the level where they conflict: keep every defined term
with its exact capitalisation and quotation marks; keep every clause, section and article
number and every cross-reference; keep the articles (a, an, the), because in legal
drafting they change scope; keep every word of obligation or permission (shall, shall
not, must, may, may not, will, is entitled to, is liable for). Do not merge, split or
reorder clauses. Remove only words that carry no legal effect.""",
}
_NONE: frozenset[str] = frozenset()
_LEGAL_EXCLUDED = frozenset({"legal-sensitive phrase", "telegraphic"})

_DEEPSEEK_EXTRA = frozenset({"reasoning cue"})

# fmt: off
STRATEGY_TABLE: dict[str, Strategy] = {row.name: row for row in (
    #        name         commas steps  calm   sections   excluded         extra   articles
    Strategy("UNIVERSAL", True,  False, False, "heading", _NONE,           _NONE,  True,
             _GUIDANCE["UNIVERSAL"]),
    Strategy("GPT",       True,  True,  False, "heading", _NONE,           _NONE,  True,
             _GUIDANCE["GPT"]),
    Strategy("CLAUDE",    True,  False, True,  "xml",     _NONE,           _NONE,  True,
             _GUIDANCE["CLAUDE"]),
    Strategy("DEEPSEEK",  True,  False, False, "heading", _NONE,   _DEEPSEEK_EXTRA, True,
             _GUIDANCE["DEEPSEEK"]),
    Strategy("LEGAL",     False, False, False, "heading", _LEGAL_EXCLUDED, _NONE,  False,
             _GUIDANCE["LEGAL"]),
)}
# fmt: on
STRATEGIES = tuple(STRATEGY_TABLE)
