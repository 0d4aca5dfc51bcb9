"""Where the bundled Japanese font is: the charts draw their glyphs with it and the page embeds
it, cut down to its own characters (``charts``, ``markup``)."""
from __future__ import annotations

import importlib.util
from pathlib import Path


def japanese_font_file() -> Path | None:
    """IPAexGothic's file in the ``matplotlib-fontja`` package, or None where it is missing
    (found without importing that package, which would change matplotlib's settings for the
    whole process)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return None
    font = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"
    return font if font.is_file() else None
