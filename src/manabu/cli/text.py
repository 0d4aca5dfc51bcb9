"""The commands for text: ``manabu tokenize`` (how a sentence is cut into words) and
``manabu explain`` (which words drive a text model's prediction).

Like ``manabu.cli.ship``, this module registers its commands on ``manabu.cli.common``'s app;
``manabu.cli`` imports it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from manabu.base.errors import ConfigError
from manabu.base.i18n import t
from manabu.cli.common import Debug, Lang, app, command, err, out, say

TOKENIZE_LIMIT = 10_000  # characters that ``manabu tokenize`` shows: a table per line, read by a person
Tokenizer = Annotated[str, typer.Option(
    "--tokenizer", help="Japanese analyser: sudachi, fugashi or janome (auto: the first installed); english for English.")]


@app.command()
def tokenize(
    text: Annotated[str, typer.Argument(metavar="TEXT|FILE", help="A sentence, or a text file (one text per line).")],
    tokenizer: Tokenizer = "auto",
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Show how TEXT is cut into words: surface, dictionary form, reading, part of speech, and
    which words the models count."""
    def run():
        from manabu.data.language import detect_language
        from manabu.data.read import read_text_file
        from manabu.features.tokenize import CHARS, analyser, resolve

        is_file = _names_a_file(text)
        content = read_text_file(text) if is_file else text
        if len(content) > TOKENIZE_LIMIT:
            raise ConfigError("text.too_long", where=text if is_file else "TEXT", size=f"{len(content):,}",
                              limit=f"{TOKENIZE_LIMIT:,}")
        lines = [line for line in content.splitlines() if line.strip()]
        if not lines:
            raise ConfigError("text.empty")
        name = resolve(tokenizer, detect_language(lines))
        if name == CHARS:
            raise ConfigError("text.tokenizer_missing", tokenizer="sudachi", extra="ja")
        tool = analyser(name)
        for line in lines:
            _token_table(line, name, tool.tokens(line))
    command(run)(lang=lang, debug=debug)


TEXT_FILES = (".txt", ".csv", ".tsv", ".md", ".text")


def _names_a_file(text: str) -> bool:
    """A file's path rather than a sentence: an existing file, or one word ending like a text
    file's name (``reviews.txt``), which then gets "file not found" rather than its analysis."""
    if len(text) > 4096 or "\n" in text:
        return False
    path = Path(text)
    return path.is_file() or (not any(ch.isspace() for ch in text) and path.suffix.lower() in TEXT_FILES)


def _token_table(line: str, name: str, tokens) -> None:
    table = Table(title=t("text.table_title", text=line if len(line) <= 40 else line[:40] + "…", tokenizer=name),
                  title_justify="left")
    for key in ("surface", "lemma", "normalised", "reading", "pos", "kept"):
        table.add_column(t(f"text.{key}"))
    for token in tokens:
        if token.surface.isspace():
            continue
        table.add_row(token.surface, token.base, token.lemma if token.lemma != token.base else "",
                      token.reading, token.pos, t("text.kept_yes") if token.kept else t("text.kept_no"),
                      style=None if token.kept else "dim")
    out.print(table)
    say(t("text.summary", n_tokens=sum(not tok.surface.isspace() for tok in tokens),
           n_kept=sum(tok.kept for tok in tokens)), console=out)


EXPLAIN_WORDS = 15  # words listed by ``manabu explain``


@app.command()
def explain(
    model: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Folder of a model trained on text.")],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The text to explain, e.g. \"部屋が広くて快適でした\".")],
    column: Annotated[str | None, typer.Option(help="The text column the text is for (when the model has several).")] = None,
    top: Annotated[int, typer.Option(help="How many words to list.")] = EXPLAIN_WORDS,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Show which words of TEXT push the model's prediction, and which way."""
    def run():
        import manabu
        from manabu.training.predictor import Predictor

        with err.status(t("text.explaining")):  # loading a model, then one prediction per word
            predictor = manabu.load(model)
            if not isinstance(predictor, Predictor):
                raise ConfigError("text.not_text_model", target="-")
            explanation = predictor.explain_text(text, column)
        label = explanation.label
        if label is not None:
            probability = float(explanation.outputs[explanation.output])
            say(t("text.explain_probability", label=label, probability=f"{probability:.3f}"), console=out)
        else:
            say(t("text.explain_value", value=f"{float(explanation.outputs[0]):.4g}"), console=out)
        shown = [e for e in explanation.effects if abs(explanation.effect(e)) > 1e-9][:top]
        if not shown:
            say(t("text.explain_none"), console=out)
            return
        out.print(_highlighted(explanation, shown))
        table = Table(title=t("text.explain_title", label=label if label is not None else predictor.target),
                      title_justify="left")
        table.add_column(t("text.explain_word"))
        table.add_column(t("text.explain_effect"), justify="right")
        table.add_column(t("text.explain_towards"))
        for e in shown:
            value = explanation.effect(e)
            style = "green" if value > 0 else "red"
            table.add_row(e.word, Text(f"{value:+.3f}", style=style), Text("▲" if value > 0 else "▼", style=style))
        out.print(table)
        say(t("text.explain_how", label=label if label is not None else predictor.target), console=out)
    command(run)(lang=lang, debug=debug)


def _highlighted(explanation, shown) -> Text:
    """The text as the model read it, each listed word coloured by the way it pushes."""
    styled = Text(explanation.text)
    for e in shown:
        value = explanation.effect(e)
        for start, end in explanation.spans.get(e.word, []):
            styled.stylize("bold green" if value > 0 else "bold red", start, end)
    return styled
