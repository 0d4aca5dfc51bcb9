"""Results files kept as sections (``## before``, ``## after``), so that runs of one bench script
under different labels sit side by side in one file."""
from __future__ import annotations

from pathlib import Path


def write_section(path: Path, preamble: str, label: str, body: str) -> None:
    """Replace the section ``## label`` of the results file ``path``, keeping the others."""
    heading = f"## {label}"
    sections: dict[str, str] = {}
    if path.is_file():
        current = None
        for line in path.read_text("utf-8").splitlines():
            if line.startswith("## "):
                current = line
                sections[current] = ""
            elif current is not None:
                sections[current] += line + "\n"
    sections[heading] = "\n" + body.rstrip() + "\n\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(preamble + "\n" + "".join(f"{h}\n{b}" for h, b in sections.items()), "utf-8")
