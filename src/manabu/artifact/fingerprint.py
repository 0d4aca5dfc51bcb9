"""A short, stable name for a training table, so that a model records which data it learned from."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

# above this many number columns (a matrix of genes), they are hashed as one block of bytes:
# pandas hashes column by column, which took 6 s on golub's 7,129 genes for 57 rows
WIDE_NUMBERS = 1_000


def data_fingerprint(df: pd.DataFrame) -> str:
    """sha256 (hex) of the column names, dtypes, shape and every row's value, in order.

    Rows are hashed by ``pandas.util.hash_pandas_object`` with its fixed key, so the same data
    read the same way gives the same fingerprint in every process; the index is left out, since
    it is an accident of reading rather than part of the data.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"data_fingerprint takes a pandas DataFrame, not {type(df).__name__}")
    header = {
        "columns": [[str(name), str(dtype)] for name, dtype in df.dtypes.items()],
        "shape": list(df.shape),
    }
    digest = hashlib.sha256(json.dumps(header, ensure_ascii=False).encode("utf-8"))
    numbers = [name for name, dtype in df.dtypes.items()
               if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)]
    if len(numbers) > WIDE_NUMBERS:
        block = np.ascontiguousarray(df[numbers].to_numpy(dtype=np.float64, na_value=np.nan))
        digest.update(np.where(np.isnan(block), np.nan, block + 0.0).tobytes())  # one NaN, one zero
        rest = df.drop(columns=numbers)
        if rest.shape[1]:
            digest.update(_row_hashes(rest).tobytes())
    else:
        digest.update(_row_hashes(df).tobytes())
    return digest.hexdigest()


def _row_hashes(df: pd.DataFrame):
    try:
        hashes = pd.util.hash_pandas_object(df, index=False)
    except TypeError:
        # Unhashable cells (lists, dicts): hash their text instead.
        hashes = pd.util.hash_pandas_object(df.astype(str), index=False)
    return hashes.to_numpy(dtype="<u8")
