"""Sentence-level translation cache: in-process LRU (L1) in front of optional Redis (L2)."""

from duta.cache.keys import cache_key
from duta.cache.lru import LruCache
from duta.cache.redis import RedisCache
from duta.cache.tiered import Cache, TieredCache, build_cache

__all__ = ["Cache", "LruCache", "RedisCache", "TieredCache", "build_cache", "cache_key"]
