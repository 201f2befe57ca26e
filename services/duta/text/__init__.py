"""Asian text handling: segmentation, normalisation and Chinese variants.

>>> from duta.text import segment
>>> [p.text for p in segment("你好。再见！")]
['你好。', '再见！']
"""

from duta.text.chinese import chinese_script, to_chinese_variant
from duta.text.normalize import normalize_for_detection, normalize_for_model
from duta.text.segment import Piece, segment
from duta.text.split import split_long

__all__ = [
    "Piece",
    "chinese_script",
    "normalize_for_detection",
    "normalize_for_model",
    "segment",
    "split_long",
    "to_chinese_variant",
]
