"""Language codes as models see them, on top of :mod:`duta.langid.codes`.

``duta.langid.codes`` owns BCP-47 canonicalisation and the per-family model tokens. The one
thing added here: a model's languages are recorded with an explicit script where the script
decides the output, so a bare "zh" (which langid keeps as "zh", meaning "treated as
Simplified") is recorded and matched as "zh-Hans".
"""

from __future__ import annotations

from duta.langid.codes import base_language, to_model_token
from duta.langid.codes import canonicalize as _canonicalize

__all__ = ["base_language", "canonicalize", "to_model_token"]

# Languages whose bare code stands for one script; models record it explicitly.
_DEFAULT_SCRIPT = {"zh": "zh-Hans"}


def canonicalize(code: str) -> str:
    """Canonical BCP-47 code for model metadata: ``"zh"`` → ``"zh-Hans"``, ``"JA"`` → ``"ja"``.

    Raises:
        ValueError: (``InvalidLanguageCode``) the code is not a valid language tag.
    """
    canonical = _canonicalize(code)
    return _DEFAULT_SCRIPT.get(canonical, canonical)
