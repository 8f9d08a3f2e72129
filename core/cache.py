"""Keys of what pages keep in the cache under the state it was computed from."""


def cache_key(name: str, *parts) -> str:
    """``name`` and the parts it depends on, as one key without spaces (dates and times as ISO
    text, nothing as "-"), safe for every cache backend."""
    shown = []
    for part in parts:
        if part is None:
            shown.append("-")
        elif hasattr(part, "isoformat"):
            shown.append(part.isoformat())
        else:
            shown.append(str(part))
    return ":".join([name, *shown])
