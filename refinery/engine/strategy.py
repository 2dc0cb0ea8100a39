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


_LEGAL_GUIDANCE = """\
Legal text. These rules override the level where they conflict: keep every defined term
with its exact capitalisation and quotation marks; keep every clause, section and article
number and every cross-reference; keep the articles (a, an, the), because in legal
drafting they change scope; keep every word of obligation or permission (shall, shall
not, must, may, may not, will, is entitled to, is liable for). Do not merge, split or
reorder clauses. Remove only words that carry no legal effect."""

STRATEGY_TABLE: dict[str, Strategy] = {
    row.name: row
    for row in (
        Strategy(
            "UNIVERSAL",
            optional_commas=True,
            step_items=False,
            calm_shouting=False,
            section_style="heading",
            excluded_groups=frozenset(),
            extra_groups=frozenset(),
            drops_articles=True,
            guidance="Target model: any. Use plain, neutral wording that every model reads "
            "the same way.",
        ),
        Strategy(
            "GPT",
            optional_commas=True,
            step_items=True,
            calm_shouting=False,
            section_style="heading",
            excluded_groups=frozenset(),
            extra_groups=frozenset(),
            drops_articles=True,
            guidance="Target model: OpenAI GPT. Where the output format allows structure, "
            "prefer Markdown:\nshort headings and bullet lists for instructions and "
            "constraints.",
        ),
        Strategy(
            "CLAUDE",
            optional_commas=True,
            step_items=False,
            calm_shouting=True,
            section_style="xml",
            excluded_groups=frozenset(),
            extra_groups=frozenset(),
            drops_articles=True,
            guidance="Target model: Anthropic Claude. Where the output format allows "
            "structure, prefer sections\nwrapped in descriptive XML tags such as <task>, "
            "<context>, <constraints> and\n<output_format>. Keep any XML tags the prompt "
            "already has, unchanged.",
        ),
        Strategy(
            "DEEPSEEK",
            optional_commas=True,
            step_items=False,
            calm_shouting=False,
            section_style="heading",
            excluded_groups=frozenset(),
            extra_groups=frozenset({"reasoning cue"}),
            drops_articles=True,
            guidance="Target model: DeepSeek. Be terse and direct: imperative sentences, no "
            "preamble, no\ndecoration, no restating of the task.",
        ),
        Strategy(
            "LEGAL",
            optional_commas=False,
            step_items=False,
            calm_shouting=False,
            section_style="heading",
            excluded_groups=frozenset({"legal-sensitive phrase", "telegraphic"}),
            extra_groups=frozenset(),
            drops_articles=False,
            guidance=_LEGAL_GUIDANCE,
        ),
    )
}
STRATEGIES = tuple(STRATEGY_TABLE)
