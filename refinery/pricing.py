"""What a saved input token is worth: USD per million input tokens, by model.

Each strategy's savings are priced at one model's input price: GPT at OpenAI's model,
CLAUDE at Anthropic's, DEEPSEEK at DeepSeek's, UNIVERSAL and LEGAL at a reference model.
"""

from __future__ import annotations

DEFAULT_PRICES = (
    "gpt-5.4-mini=0.75,gpt-5.4-nano=0.20,claude-haiku-4-5=1.00,"
    "deepseek-v4-flash=0.14,gemini-3.5-flash-lite=0.10"
)
DEFAULT_REFERENCE_MODEL = "gpt-5.4-mini"


def strategy_models(provider_models: dict[str, str], reference: str) -> tuple[tuple[str, str], ...]:
    """The model whose input price values each strategy's saved tokens."""
    return (
        ("UNIVERSAL", reference),
        ("GPT", provider_models["openai"]),
        ("CLAUDE", provider_models["anthropic"]),
        ("DEEPSEEK", provider_models["deepseek"]),
        ("LEGAL", reference),
    )


def parse_prices(
    raw: str, strategy_models: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, float], ...]:
    """Parse 'model=usd_per_million,…'; every model a strategy is priced at needs a price.

    Raises ValueError with what is wrong.
    """
    prices = []
    for item in raw.split(","):
        model, _, price = item.strip().partition("=")
        try:
            value = float(price)
        except ValueError:
            value = -1.0
        if not model or value < 0:
            raise ValueError(f"expected model=USD per million input tokens, got {item!r}")
        prices.append((model.strip(), value))
    known = {model for model, _ in prices}
    for _, model in strategy_models:
        if model not in known:
            raise ValueError(f"no price for model {model!r}")
    return tuple(prices)
