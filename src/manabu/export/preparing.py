"""The reading half of an exported script: the file read and each column typed as manabu's
schema typed it, with manabu's parsing functions and its date and text transformers copied in."""
from __future__ import annotations

import textwrap

from manabu.base.source_text import constants_source, function_source, module_body
from manabu.data.schema import ColumnType, Schema
from manabu.data.schema import values as values_module
from manabu.export.source import ScriptParts
from manabu.features import datetime as datetime_module
from manabu.features import text as text_module

# the column lists the script defines, by the schema type they hold
TYPE_LISTS = {ColumnType.NUMERIC: "NUMERIC", ColumnType.BOOLEAN: "BOOLEAN", ColumnType.CATEGORICAL: "CATEGORICAL",
              ColumnType.HIGH_CARDINALITY: "HIGH_CARDINALITY", ColumnType.DATETIME: "DATETIME",
              ColumnType.TEXT: "TEXT"}


READING = textwrap.dedent('''\
        def read_data(path):
            """The table, read as manabu read it: column names as text."""
            suffix = Path(path).suffix.lower()
            if suffix in (".parquet", ".pq"):
                frame = pd.read_parquet(path)
            elif suffix in (".xlsx", ".xlsm"):
                frame = pd.read_excel(path, sheet_name=SHEET)
            elif suffix in (".json", ".jsonl", ".ndjson"):
                text = Path(path).read_text(encoding=ENCODING)
                try:
                    records = json.loads(text)
                except json.JSONDecodeError:  # one JSON object per line
                    records = [json.loads(line) for line in text.splitlines() if line.strip()]
                frame = pd.json_normalize(records) if isinstance(records, list) else pd.DataFrame(records)
            else:
                frame = pd.read_csv(path, sep=SEPARATOR, encoding=ENCODING, index_col=False, low_memory=False)
            frame.columns = [str(name) for name in frame.columns]
            return frame''')


def preparing_section(schema: Schema, parts: ScriptParts) -> str:
    """prepare(): each feature typed as ``Schema.prepare`` types it, with manabu's own parsing
    functions copied in."""
    present = {t for t in TYPE_LISTS if schema.of_type(t)}
    text_types = [TYPE_LISTS[t] for t in (ColumnType.CATEGORICAL, ColumnType.HIGH_CARDINALITY, ColumnType.TEXT)
                  if t in present]
    parts.need("import re", "import unicodedata", "from datetime import date, datetime")
    helpers = [constants_source(values_module, "_INT_TEXT", "_FLOAT_TEXT", "_FORMATTED", "TRUE_WORDS", "FALSE_WORDS"),
               *(function_source(values_module, name) for name in
                 ("float_text", "canonical_text", "norm_text", "normalised", "parse_number", "bool_token")),
               _AS_FUNCTIONS]
    lines = ['def prepare(frame):',
             '    """The feature columns typed as manabu typed them for its models."""',
             '    columns = {}']
    if ColumnType.NUMERIC in present:
        lines += ["    for name in NUMERIC:", "        columns[name] = as_number(frame[name])"]
    if ColumnType.BOOLEAN in present:
        lines += ["    for name, (true_words, false_words) in BOOLEAN.items():",
                  "        columns[name] = as_boolean(frame[name], true_words, false_words)"]
    if text_types:
        lines += [f"    for name in {' + '.join(text_types)}:", "        columns[name] = as_text(frame[name])"]
    if ColumnType.DATETIME in present:
        lines += ["    for name, date_format in DATETIME.items():",
                  "        columns[name] = as_datetime(frame[name], date_format)"]
    lines += ["    return pd.DataFrame(columns, index=frame.index)[FEATURES]"]
    return "# ---- manabu's rules for reading values (copied from manabu.data.schema)\n\n" + \
        "\n\n\n".join(helpers) + "\n\n\n" + "\n".join(lines)


_AS_FUNCTIONS = textwrap.dedent('''\
    def as_number(values):
        """Floats: numbers as they are, text read as manabu reads it ("1,234円", "▲5", full-width
        digits); ±inf and what cannot be read become NaN."""
        if pd.api.types.is_timedelta64_dtype(values.dtype):
            numbers = values.dt.total_seconds()
        elif pd.api.types.is_numeric_dtype(values.dtype):
            numbers = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index)
        else:
            numbers = values.astype(object).map(lambda v: parse_number(normalised(v)), na_action="ignore")
        return numbers.astype(float).replace([np.inf, -np.inf], np.nan)


    def as_boolean(values, true_words, false_words):
        """1.0, 0.0 or NaN: the column's own words first, then common words for true and false."""
        if pd.api.types.is_bool_dtype(values.dtype):
            return pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index)

        def read(value):
            word = bool_token(value)
            if word in true_words:
                return 1.0
            if word in false_words:
                return 0.0
            return 1.0 if word in TRUE_WORDS else 0.0 if word in FALSE_WORDS else np.nan

        return values.astype(object).map(read, na_action="ignore").astype(float)


    def as_text(values):
        """Categories and text as strings, one spelling per value (1, 1.0 and "1" alike)."""
        texts = values.astype(object).map(canonical_text, na_action="ignore")
        return texts.where(texts.notna(), np.nan)


    def as_datetime(values, date_format):
        """Naive UTC datetimes; text is read with the format manabu found for the column."""
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            return values.astype("datetime64[ns]")
        texts = values.astype(object).map(normalised, na_action="ignore")
        if date_format == "%Y%m%d":
            texts = texts.where(texts.astype(str).str.fullmatch(r"\\d{8}"))
        parsed = pd.to_datetime(texts, format=date_format, errors="coerce", utc=True)
        return parsed.dt.tz_localize(None).astype("datetime64[ns]")''')


# What a script defines in place of an import of manabu in a module it copies: the text
# transformers share a fold's work between the candidates of a search, and a script fits one model.
STANDALONE = {"from manabu.features.shared_fits import fit_shared, transform_shared": '''\
def fit_shared(transformer, texts, fit):
    """In manabu, candidates fitted on the same texts share the fit; here one model fits alone."""
    fit()


def transform_shared(fitted_part, texts, transform):
    return transform()'''}


def transformer_sections(schema: Schema, parts: ScriptParts) -> list[str]:
    """manabu's date and text transformers, copied whole, when the data has such columns."""
    modules = [(ColumnType.DATETIME, datetime_module), (ColumnType.TEXT, text_module)]
    sections = []
    for column_type, module in modules:
        if schema.of_type(column_type):
            imports, body = module_body(module)
            ours = [line for line in imports if line.startswith(("from manabu", "import manabu"))]
            parts.need(*(line for line in imports if line not in ours))
            sections += [STANDALONE[line] for line in ours]  # a KeyError names an import to stand in for
            sections.append(f"# ---- copied from {module.__name__}\n\n{body}")
    return sections
