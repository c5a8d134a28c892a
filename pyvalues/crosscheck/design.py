"""The stated design of the seed paper (Ma, Tong, Wang & Peng 2026), defined once.

The 20 models carry the display names of Table A-1 (Appendix A.2) — the paper's own
spelling there, e.g. "MinMax" for MiniMax, "kimi", "Claude-4-opus", "Gemma 3" — with the
country group printed in that table. `MODEL_ALIASES` maps the other spellings the paper
uses (Model Selection, the archetype lists) to these names. Everything in pyvalues that
names a model of the paper (claims file, reconstruction, tests) uses `MODELS`.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyvalues.instrument import DIMENSIONS, N_TERMS

__all__ = [
    "Model",
    "MODELS",
    "MODEL_NAMES",
    "MODEL_COUNTRY",
    "MODEL_ALIASES",
    "canonical_model",
    "Design",
    "PAPER_DESIGN",
]


@dataclass(frozen=True)
class Model:
    name: str  # display name exactly as in Table A-1
    country: str  # "CN" or "US", Table A-1 column "Group"


# Table A-1 order (descending Kendall's W).
MODELS: tuple[Model, ...] = (
    Model("Falcon", "US"),
    Model("Gemma 3", "US"),
    Model("Gemini 2.5 Pro", "US"),
    Model("Kunlun Wanwei", "CN"),
    Model("Zhipu", "CN"),
    Model("DeepSeek-R1-0528", "CN"),
    Model("GPT-4.1", "US"),
    Model("Grok-4", "US"),
    Model("Llama-3.1", "US"),
    Model("Tongyi Qwen", "CN"),
    Model("Doubao", "CN"),
    Model("Mistral-large", "US"),
    Model("DeepSeek-V3-0324", "CN"),
    Model("kimi", "CN"),
    Model("Tencent Hunyuan", "CN"),
    Model("Claude-4-opus", "US"),
    Model("MinMax", "CN"),
    Model("Microsoft-Phi4", "US"),
    Model("Wenxin", "CN"),
    Model("Huawei Xiaoyi", "CN"),
)
MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in MODELS)
MODEL_COUNTRY: dict[str, str] = {m.name: m.country for m in MODELS}

# Other spellings printed in the paper (Model Selection list, archetype lists, body text).
MODEL_ALIASES: dict[str, str] = {
    "Claude-4-Opus": "Claude-4-opus",
    "Gemma-3": "Gemma 3",
    "Gemma-3 27B": "Gemma 3",
    "Gemini 2.5": "Gemini 2.5 Pro",
    "Kimi": "kimi",
    "MiniMax": "MinMax",
    "Falcon-180B": "Falcon",
    "Llama-3.1 405B": "Llama-3.1",
    "Mistral-large 123B": "Mistral-large",
    "Microsoft-Phi4 14B": "Microsoft-Phi4",
    "DeepSeek-V3": "DeepSeek-V3-0324",
    "DeepSeek-R1": "DeepSeek-R1-0528",
}


def canonical_model(name: str) -> str:
    """Table A-1 display name of `name` (an alias or the name itself); KeyError if unknown."""
    name = name.strip()
    if name in MODEL_COUNTRY:
        return name
    if name in MODEL_ALIASES:
        return MODEL_ALIASES[name]
    raise KeyError(
        f"unknown model name {name!r}; the paper's models are {list(MODEL_NAMES)} "
        f"(aliases: {sorted(MODEL_ALIASES)})"
    )


@dataclass(frozen=True)
class Design:
    """A ranking design of the seed paper's kind: k models in two groups, each ranking
    n_terms terms (n_dimensions dimensions of terms_per_dimension terms) completely,
    n_replicates times."""

    n_cn: int = 11
    n_us: int = 9
    n_terms: int = N_TERMS
    n_dimensions: int = len(DIMENSIONS)
    terms_per_dimension: int = 5
    n_replicates: int = 3

    @property
    def n_models(self) -> int:
        return self.n_cn + self.n_us

    @property
    def mean_rank(self) -> float:
        """Mean of the ranks 1..n_terms: every model's dimension scores average to this."""
        return (self.n_terms + 1) / 2

    @property
    def score_denominator(self) -> int:
        """A dimension score is an integer rank sum over terms_per_dimension * n_replicates."""
        return self.terms_per_dimension * self.n_replicates


PAPER_DESIGN = Design()
