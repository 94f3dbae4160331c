"""The bounded cache behind the importer's memories."""

from credgraph.graph.sources.bounded_cache import BoundedCache


def test_keeps_the_most_recently_used_entries():
    cache = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2


def test_a_stored_none_is_told_apart_from_a_missing_key():
    cache, missing = BoundedCache(4), object()
    cache.put("unusable", None)
    assert cache.get("unusable", missing) is None
    assert cache.get("absent", missing) is missing
    cache.clear()
    assert len(cache) == 0
