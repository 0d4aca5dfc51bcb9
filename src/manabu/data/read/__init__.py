"""Read a table from a file, a database or a data frame, whatever shape the user brings it in.

Every command starts here, so this is where a user's first mistake is met: a wrong path, a
Shift_JIS file, a Parquet file named ``.csv``. Each such case either reads (with a ``Notice``
saying what was guessed) or raises one ``DataError`` that says what is wrong and what to do;
no pandas or pyarrow traceback reaches the user.

The result is a plain ``pandas.DataFrame`` with string column names. What was detected travels in
``df.attrs["manabu_source"]`` (path, format, encoding, sep) and what the user should know in
``df.attrs["manabu_notices"]`` (a list of ``Notice``). Dates are not parsed here: the schema
module decides what a column is.

The modules: ``entry`` (``read`` and the other ways in), ``source`` (what every reader shares),
``files`` (formats and paths), ``encoding``, ``delimited`` (CSV and TSV), ``excel``, ``json_table``,
``sql``, ``chunks`` (files larger than memory), ``images`` (folders of images, a table's
image paths, ``decode_image``), ``expression`` (``.h5ad`` files and 10x folders: cells as rows,
genes as columns), ``wide`` (a table of genes as rows turned into samples as rows) and ``sdf``
(molecules, one row each with its SMILES and properties).
"""
from manabu.data.read.chunks import HEAD_BYTES, Chunks, read_chunks
from manabu.data.read.entry import read, read_csv_bytes, read_text_file
from manabu.data.read.images import IMAGE_COLUMN, IMAGE_EXTENSIONS, LABEL_COLUMN, decode_image
from manabu.data.read.source import first_line
from manabu.data.read.sql import PASSWORD_PATTERN

__all__ = ["HEAD_BYTES", "IMAGE_COLUMN", "IMAGE_EXTENSIONS", "LABEL_COLUMN", "PASSWORD_PATTERN", "Chunks",
           "decode_image", "first_line", "read", "read_chunks", "read_csv_bytes", "read_text_file"]
