"""``manabu export-code``: the best single model of a run as a standalone Python script.

The script reads the data file, types each column as manabu's schema did, builds the same
preprocessing and model with plain pandas, scikit-learn and the boosting libraries, scores it
on the same folds and prints the score beside the leaderboard's. It imports nothing from
manabu: what manabu adds to a library (reading "1,234円" as a number, early stopping on
held-out rows, its own date and text transformers) is copied into the script from manabu's own
source, so the two cannot drift apart unnoticed (tests run the script and compare).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from manabu.base.errors import ConfigError
from manabu.base.i18n import Message
from manabu.data.schema import ColumnType, Schema
from manabu.data.schema.blocks import EXPRESSION_BLOCK
from manabu.data.splits import ValidationPlan
from manabu.export.preparing import READING, TYPE_LISTS, preparing_section, transformer_sections
from manabu.export.source import SCRIPT_CLASSES, ScriptParts, Source, literal_value, string_literal
from manabu.export.training import (annotation_imports, builders_section, fitting_section, main_section,
                                    script_classes, scoring_section, validation_section)
from manabu.features.preprocess import PreprocessKind
from manabu.models.script import PLAIN
from manabu.models.zoo import ZOO
from manabu.search.candidate import Candidate


def export_script(schema: Schema, training: dict[str, Any], model_dir: str = "") -> str:
    """The script for the best single model of the run ``training`` records (the manifest's
    ``training``): the chosen model, or the best single member of the leaderboard when an
    ensemble was chosen. Molecules and expression data are refused: their features are RDKit's,
    and the genes' preparation is manabu's (``features.expression``)."""
    if schema.of_type(ColumnType.SMILES):
        raise ConfigError("export.molecules", columns=", ".join(schema.of_type(ColumnType.SMILES)))
    genes = [schema.column(name) for name in schema.in_block(EXPRESSION_BLOCK)]
    if genes:
        raise ConfigError("export.expression", genes=sum(column.n_genes or 1 for column in genes))
    row = best_single_row(training)
    task, seed = training["task"], int(training["config"].get("seed", 0))
    candidate = Candidate(row["model"], ZOO[row["family"]], dict(row.get("params") or {}), row.get("origin", ""))
    pipeline, _ = candidate.build(schema, task, seed, n_rows=int(training["n_rows"]))
    preprocess, model = pipeline.steps[0][1], pipeline.steps[1][1]
    n_categorical = len(schema.of_type(ColumnType.CATEGORICAL)) if candidate.entry.preprocess is PreprocessKind.TREE else 0
    fitting = candidate.entry.script_fit(task, n_categorical) if candidate.entry.script_fit else PLAIN
    plan = ValidationPlan.from_dict(training["validation"])
    source = Source(names={tuple(schema.of_type(t)): _column_list(t) for t in TYPE_LISTS if schema.of_type(t)},
                    defined=frozenset(SCRIPT_CLASSES))
    parts = ScriptParts(source)
    body = "\n\n\n".join(section.strip() for section in [
        _settings(schema, training, row, seed, n_categorical if fitting.category_codes else 0),
        READING,
        preparing_section(schema, parts),
        *transformer_sections(schema, parts),
        builders_section(source, preprocess, model),
        fitting_section(fitting, task, parts),
        validation_section(plan, training["config"], parts),
        scoring_section(training["metric"], task, parts),
        main_section(task, script_classes(schema), sampled=_sampled(row)),
    ])
    parts.need(*annotation_imports(body))
    head = _docstring(training, row, model_dir) + "\n" + "\n".join(parts.import_lines()) + "\n"
    return head + "\n\n" + body + '\n\n\nif __name__ == "__main__":\n    main()\n'


def _sampled(row: dict[str, Any]) -> bool:
    """The search fitted the model on a sample of the rows (``row_fraction``, on the leaderboard)."""
    return row.get("row_fraction", 1.0) < 1.0


def _column_list(column_type: ColumnType) -> str:
    """The expression for the columns of one type: booleans and dates are dicts (name: how to read it)."""
    name = TYPE_LISTS[column_type]
    return f"list({name})" if column_type in (ColumnType.BOOLEAN, ColumnType.DATETIME) else name


def best_single_row(training: dict[str, Any]) -> dict[str, Any]:
    """The leaderboard's best ranked row of one model family that a script can rebuild (an
    ensemble has no single pipeline; the text families need manabu's word analysers)."""
    for row in training["leaderboard"]:
        if row.get("rank") is not None and row.get("family") in ZOO and not _needs_manabu(ZOO[row["family"]]):
            return row
    raise ConfigError("export.no_single_model")


def _needs_manabu(entry) -> bool:
    """A family that a plain script cannot rebuild: text (manabu's word analysers), images
    (manabu's networks) or molecules (RDKit's graphs)."""
    return entry.needs_text or entry.needs_images or entry.needs_molecules


def _manabu_family_above(training: dict[str, Any], row: dict[str, Any]) -> str | None:
    """A text or image family's model ranked above the one written out, if any."""
    for above in training["leaderboard"]:
        if above is row:
            return None
        family = above.get("family")
        if above.get("rank") is not None and family in ZOO and _needs_manabu(ZOO[family]):
            return above["model"]
    return None


# ------------------------------------------------------------------------------------ sections

def _docstring(training: dict[str, Any], row: dict[str, Any], model_dir: str) -> str:
    chosen = training["best_model"]
    validation = Message(training["validation_text"]["key"], training["validation_text"].get("params", {}))
    lines = [f'"""{row["model"]} ({row["family"]}): the best single model of a manabu run.',
             "",
             "Rebuilt with plain libraries: pandas, scikit-learn and the model's own library.",
             f"Written by `manabu export-code {model_dir}` on {date.today().isoformat()}; it does not "
             "import manabu."]
    if chosen != row["model"]:
        lines += [f"manabu chose {chosen!r}, which combines several models; this script rebuilds the best",
                  "single model among them."]
    if _sampled(row):
        lines += [f"manabu fitted it on a seeded {row['row_fraction']:.0%} sample of the rows, to finish within its time",
                  "limit; this script takes the same sample (ROW_FRACTION), in each fold and with --save."]
    text_model = _manabu_family_above(training, row)
    if text_model is not None:
        lines += [f"{text_model!r} ranked higher, but it needs manabu's Japanese/English word analysers or its image",
                  "networks, which a plain script cannot rebuild: this is the best model of the other families."]
    lines += ["",
              "    python train_best.py [DATA] [--save MODEL.joblib]",
              "",
              "It reads DATA (by default the file manabu trained on), prepares its columns as manabu did,",
              f"scores the model on the same validation ({validation.render('en')})",
              "and prints the score beside manabu's leaderboard. With --save it also trains on every row",
              'and saves the fitted model with joblib.',
              '"""']
    return "\n".join(lines)


def _settings(schema: Schema, training: dict[str, Any], row: dict[str, Any], seed: int, category_codes: int) -> str:
    """The constants at the top: the data file, the target, the columns by type, the seed."""
    source = training.get("source") or {}
    lines = [
        f"DATA = {literal_value(source.get('path'))}  # the file manabu trained on",
        f"ENCODING = {literal_value(source.get('encoding') or 'utf-8')}",
        f"SEPARATOR = {literal_value(source.get('sep') or ',')}",
        f"SHEET = {literal_value(source.get('sheet') if source.get('sheet') is not None else 0)}",
        f"TARGET = {literal_value(training['config']['target'])}",
        f"METRIC = {literal_value(training['metric'])}",
        f"SEED = {seed}",
        f"LEADERBOARD_SCORE = {row['score']!r}  # {row['model']} on manabu's leaderboard",
        *([f"ROW_FRACTION = {row['row_fraction']!r}  # manabu fitted this model on a seeded sample of the rows"]
          if _sampled(row) else []),
        "",
        "# The columns as manabu typed them; the model sees these and no others.",
    ]
    for column_type, name in TYPE_LISTS.items():
        names = schema.of_type(column_type)
        if names and column_type is ColumnType.BOOLEAN:
            words = {c.name: (sorted(c.true_values or []), sorted(c.false_values or [])) for c in schema.features
                     if c.type is ColumnType.BOOLEAN}
            lines.append(f"BOOLEAN = {_literal(words)}  # column: (its words for true, its words for false)")
        elif names and column_type is ColumnType.DATETIME:
            formats = {c.name: c.datetime_format or "ISO8601" for c in schema.features if c.type is ColumnType.DATETIME}
            lines.append(f"DATETIME = {_literal(formats)}  # column: the format its text is read with")
        elif names:
            lines.append(f"{name} = {_literal(names)}")
    lines.append(f"FEATURES = {_literal([c.name for c in schema.features])}")
    left_out = [f"{c.name} ({c.role.value if c.role.value != 'dropped' else c.type.value})"
                for c in schema.columns if c.role.value not in ("feature", "target")]
    if left_out:
        lines.append("# left out: " + ", ".join(left_out))
    if category_codes:
        lines.append(f"CATEGORY_CODES = list(range({category_codes}))  # the first columns of the "
                     "preprocessed matrix hold category codes")
    return "\n".join(lines)


def _literal(value: Any) -> str:
    """A list or dict of names as source: on one line when short, else filled to the width."""
    items = ([f"{string_literal(k)}: {Source().render(v)}" for k, v in value.items()] if isinstance(value, dict)
             else [Source().render(v) for v in value])
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    one_line = opening + ", ".join(items) + closing
    if len(one_line) <= 90:
        return one_line
    if isinstance(value, dict):
        return opening + "\n" + "".join(f"    {item},\n" for item in items) + closing
    lines, line = [], "   "
    for item in items:
        if len(line) + len(item) + 2 > 100:
            lines.append(line.rstrip())
            line = "   "
        line += f" {item},"
    return opening + "\n" + "\n".join([*lines, line.rstrip()]) + "\n" + closing
