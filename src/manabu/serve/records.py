"""The request's rows: a pydantic model made from the training schema, so that the OpenAPI
document (and /docs) shows the real columns, and a wrong or missing value is named.

Every feature column is required, and ``null`` says that a value is missing (the model handles
missing values as it did in training). Columns the model does not use are ignored, so a client
may send whole rows, target and identifiers included. An image column takes the image itself,
as base64 in JSON, or as a file in a ``multipart/form-data`` upload (``from_upload``). A sparse
gene matrix (``data.gene_matrix``) takes each cell as ``{gene: value}``, its unnamed genes zero.
"""
from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, WithJsonSchema, create_model

from manabu.data.gene_matrix import GeneMatrixArray
from manabu.data.schema import Column, ColumnType, Schema

# what JSON may carry for each column type, checked strictly (a number column takes JSON numbers,
# not text, and a boolean one true/false or its words, not 0.0); a CSV body is read as in training
_JSON_TYPES: dict[ColumnType, Any] = {
    ColumnType.NUMERIC: float | None,
    ColumnType.BOOLEAN: bool | str | None,
    ColumnType.CATEGORICAL: str | int | float | bool | None,
    ColumnType.HIGH_CARDINALITY: str | int | float | None,
    ColumnType.TEXT: str | None,
    ColumnType.SMILES: str | None,
    ColumnType.DATETIME: str | None,
    ColumnType.IMAGE: Annotated[bytes | None, BeforeValidator(lambda value: image_bytes(value)),
                                WithJsonSchema({"anyOf": [{"type": "string", "contentEncoding": "base64"},
                                                          {"type": "null"}]})],
}
_GENES_TYPE = dict[str, float] | None  # a cell's genes, by name

_DESCRIPTIONS = {
    ColumnType.NUMERIC: "a number",
    ColumnType.BOOLEAN: "true or false",
    ColumnType.CATEGORICAL: "a category",
    ColumnType.HIGH_CARDINALITY: "a category (one of many)",
    ColumnType.TEXT: "free text",
    ColumnType.SMILES: "a molecule written as SMILES, e.g. CCO",
    ColumnType.DATETIME: "a date or time as text",
    ColumnType.IMAGE: "an image file (PNG, JPEG, BMP, TIFF...) encoded as base64, or as a data: URL",
}
SHOWN_CATEGORIES = 20


def image_bytes(value: Any) -> bytes | None:
    """An image sent in JSON: base64 (a data: URL's prefix is dropped); a path on the server is
    not read, since a client should not name the server's files."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("an image is sent as base64 text (or a data: URL)")
    _, comma, data = value.partition(",") if value.startswith("data:") else ("", "", value)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not an image encoded as base64 (nor a data: URL)") from None


def record_model(schema: Schema) -> type[BaseModel]:
    """One row as a pydantic model, its fields named by the column names (aliases: column
    names need not be Python names)."""
    fields = {f"column_{i}": (_GENES_TYPE if column.n_genes else _JSON_TYPES[column.type],
                              Field(alias=column.name, description=_describe(column)))
              for i, column in enumerate(schema.features)}
    return create_model("Record", __config__=ConfigDict(extra="ignore", allow_inf_nan=False, strict=True), **fields)


class Rows:
    """Validates a request's records and turns them into the frame the Predictor reads."""

    def __init__(self, schema: Schema) -> None:
        self.names = [column.name for column in schema.features]
        # the column an uploaded image goes to (the first of the images; None: no images)
        self.image_column = next((c.name for c in schema.features if c.type is ColumnType.IMAGE), None)
        self.gene_matrices = [c.name for c in schema.features if c.n_genes]
        self.model = record_model(schema)
        self._many = TypeAdapter(list[self.model])

    def from_json(self, body: Any) -> pd.DataFrame:
        """``body`` is one record (an object) or a list of them; raises ``ValidationError``."""
        records = self._many.validate_python(body if isinstance(body, list) else [body])
        frame = pd.DataFrame([record.model_dump(by_alias=True) for record in records], columns=self.names)
        for name in self.gene_matrices:
            frame[name] = GeneMatrixArray.from_records(frame[name].tolist())
        return frame

    def from_upload(self, files: list[bytes], fields: dict[str, str]) -> pd.DataFrame:
        """A ``multipart/form-data`` upload: one row per uploaded image file, into the image
        column; any other column from the text field of its name (the same for every row), else
        missing."""
        rows = [{name: fields.get(name) for name in self.names} | {self.image_column: data} for data in files]
        return pd.DataFrame(rows, columns=self.names)

    def missing_columns(self, frame: pd.DataFrame) -> list[str]:
        return [name for name in self.names if name not in frame.columns]


def problems(error: ValidationError, single: bool) -> list[dict[str, Any]]:
    """Each problem with the row (from 0) and the column it is about, as a client can act on.
    A column that takes several JSON types gets one entry that names them all."""
    found: dict[tuple, dict[str, Any]] = {}
    for item in error.errors(include_url=False, include_input=False):
        location = list(item["loc"])
        row = location.pop(0) if location and isinstance(location[0], int) else None
        column = str(location[0]) if location else None
        key = (row, column)
        if key in found:
            found[key]["problem"] += " / " + item["msg"]
        else:
            found[key] = {"row": None if single else row, "column": column, "problem": item["msg"],
                          "type": item["type"]}
    return list(found.values())


def _describe(column: Column) -> str:
    if column.n_genes:
        return (f"the cell's genes as {{gene: value}} (of the {column.n_genes:,} the model learnt from); "
                "genes left out are zero")
    text = _DESCRIPTIONS[column.type]
    words = [*(column.true_values or []), *(column.false_values or [])]
    if column.type is ColumnType.BOOLEAN and words:
        text += f" (or {', '.join(map(str, words))})"
    elif column.type is ColumnType.DATETIME:
        text += f" ({column.datetime_format or 'ISO 8601'})"
    elif column.type is ColumnType.CATEGORICAL and column.categories:
        shown = ", ".join(map(str, column.categories[:SHOWN_CATEGORIES]))
        more = "…" if len(column.categories) > SHOWN_CATEGORIES else ""
        text += f": seen in training {shown}{more}; others are accepted as unseen"
    return text + "; null when missing"
