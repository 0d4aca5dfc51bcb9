"""manabu.data.read: every supported format reads, and every bad input gives one clear DataError."""
from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manabu.data import read
from manabu.base.errors import DataError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def data_error(key: str, call, *args, **kwargs) -> DataError:
    """Run ``call``, expect a DataError with ``key``, and check that it reads in both languages."""
    with pytest.raises(DataError) as info:
        call(*args, **kwargs)
    error = info.value
    assert error.key == key, str(error)
    assert "{" not in error.render("en") and JAPANESE.search(error.render("ja"))
    return error


def notice_keys(df: pd.DataFrame) -> list[str]:
    return [n.key for n in df.attrs["manabu_notices"]]


# --- text files ----------------------------------------------------------------------------


def test_utf8_csv_infers_numbers_keeps_strings_and_does_not_parse_dates(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,price,name,when\n1,2.5,apple,2024-01-01\n2,,banana,2024-02-01\n", "utf-8")
    df = read(path)
    assert df.shape == (2, 4)
    assert df["id"].dtype == "int64" and df["price"].dtype == "float64"
    assert df["price"].isna().tolist() == [False, True]
    assert df["name"].tolist() == ["apple", "banana"]
    assert not pd.api.types.is_datetime64_any_dtype(df["when"])
    assert df.attrs["manabu_source"] == {"path": str(path), "format": "csv", "encoding": "utf-8", "sep": ","}
    assert df.attrs["manabu_notices"] == []


def test_shift_jis_with_japanese_headers(tmp_path):
    path = tmp_path / "sjis.csv"
    # 髙 and ① exist in CP932 only, not in plain Shift_JIS.
    path.write_bytes("名前,都市,年齢\n髙橋,東京,30\n鈴木①,大阪,41\n".encode("cp932"))
    df = read(path)
    assert list(df.columns) == ["名前", "都市", "年齢"]
    assert df["都市"].tolist() == ["東京", "大阪"] and df["名前"].tolist() == ["髙橋", "鈴木①"]
    assert df.attrs["manabu_source"]["encoding"] == "cp932"
    assert notice_keys(df) == ["data.encoding_detected"]
    assert "Shift_JIS" in df.attrs["manabu_notices"][0].render("en")


def test_euc_jp(tmp_path):
    path = tmp_path / "euc.csv"
    path.write_bytes("都市,人口,メモ\n東京,1400,首都です\n大阪,880,\n".encode("euc_jp"))
    df = read(path)
    assert list(df.columns) == ["都市", "人口", "メモ"]
    assert df["都市"].tolist() == ["東京", "大阪"] and df["人口"].tolist() == [1400, 880]
    assert df.attrs["manabu_source"]["encoding"] == "euc_jp"


@pytest.mark.parametrize(("text", "encoding"), [
    ("ｶﾌﾞｼｷｶﾞｲｼｬ,ｵｵｻｶ\n", "cp932"),   # half-width kana only: also valid EUC-JP bytes
    ("ﾃｽﾄ,ﾔﾏﾀﾞ ﾀﾛｳ\n", "euc_jp"),        # EUC-JP half-width kana: also valid CP932 bytes
    ("はい,札幌,東京\n", "euc_jp"),
])
def test_ambiguous_japanese_bytes_choose_the_plausible_encoding(tmp_path, text, encoding):
    path = tmp_path / "k.csv"
    path.write_bytes(("col1,col2" + (",col3" if text.count(",") == 2 else "") + "\n" + text).encode(encoding))
    df = read(path)
    assert df.attrs["manabu_source"]["encoding"] == encoding
    assert ",".join(df.iloc[0].astype(str)) + "\n" == text


def test_utf8_bom_is_stripped_from_the_first_column(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("id,名前\n1,東京\n".encode("utf-8-sig"))
    df = read(path)
    assert list(df.columns) == ["id", "名前"]
    assert df.attrs["manabu_source"]["encoding"] == "utf-8-sig"


def test_utf16_with_bom_from_excel_unicode_text(tmp_path):
    path = tmp_path / "u16.txt"
    path.write_bytes("名前\t値\n東京\t1\n".encode("utf-16"))
    df = read(path)
    assert df.to_dict("list") == {"名前": ["東京"], "値": [1]}
    assert df.attrs["manabu_source"]["sep"] == "\t"


@pytest.mark.parametrize("sep", [",", "\t", ";", "|"])
@pytest.mark.parametrize("suffix", [".csv", ".txt"])
def test_delimiter_is_sniffed(tmp_path, sep, suffix):
    path = tmp_path / f"d{suffix}"
    rows = [["a", "b", "c"], ["1", "x y", "2.5"], ["2", "z", "3.5"]]
    path.write_text("\n".join(sep.join(r) for r in rows) + "\n", "utf-8")
    df = read(path)
    assert list(df.columns) == ["a", "b", "c"] and df.shape == (2, 3)
    assert df.attrs["manabu_source"]["sep"] == sep


def test_semicolon_csv_with_decimal_commas_is_not_split_on_commas(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("name;price;qty\nx;1,5;3\ny;2,25;4\n", "utf-8")
    df = read(path)
    assert list(df.columns) == ["name", "price", "qty"] and df["price"].tolist() == ["1,5", "2,25"]


def test_tsv_extension_means_tab_and_sep_can_be_forced(tmp_path):
    tsv = tmp_path / "d.tsv"
    tsv.write_text("a,b\tc\n1,2\t3\n", "utf-8")
    assert list(read(tsv).columns) == ["a,b", "c"]
    assert list(read(tsv, sep=",").columns) == ["a", "b\tc"]


def test_explicit_encoding(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("都市\n東京\n".encode("cp932"))
    df = read(path, encoding="cp932")
    assert df["都市"].tolist() == ["東京"] and df.attrs["manabu_notices"] == []
    error = data_error("data.bad_encoding", read, path, encoding="utf-8")
    assert error.params["encoding"] == "utf-8"
    data_error("data.unknown_encoding", read, path, encoding="shift-klingon")


def test_ten_thousand_columns_read_quickly(tmp_path):
    path = tmp_path / "wide.csv"
    frame = pd.DataFrame(np.arange(20 * 10_000).reshape(20, 10_000), columns=[f"c{i}" for i in range(10_000)])
    frame.to_csv(path, index=False)
    start = time.perf_counter()
    df = read(path)
    assert df.shape == (20, 10_000) and df.columns[-1] == "c9999"
    assert time.perf_counter() - start < 10


# --- other files -----------------------------------------------------------------------------


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "city": ["東京", "大阪", None], "score": [0.5, 1.5, np.nan]})


def test_parquet(tmp_path):
    path = tmp_path / "d.parquet"
    sample_frame().to_parquet(path)
    df = read(path)
    assert df.shape == (3, 3) and df["city"].tolist()[:2] == ["東京", "大阪"]
    assert df.attrs["manabu_source"]["format"] == "parquet"


def test_excel_sheets(tmp_path):
    path = tmp_path / "d.xlsx"
    with pd.ExcelWriter(path) as writer:
        sample_frame().to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}).to_excel(writer, sheet_name="second", index=False)
    df = read(path)
    assert list(df.columns) == ["id", "city", "score"] and df["id"].dtype == "int64"
    assert notice_keys(df) == ["data.excel_first_sheet"]
    assert df.attrs["manabu_source"]["sheet"] == "first"
    assert read(path, sheet="second").to_dict("list") == {"x": [1, 2], "y": ["a", "b"]}
    assert list(read(path, sheet=1).columns) == ["x", "y"] == list(read(path, sheet="1").columns)
    error = data_error("data.sheet_not_found", read, path, sheet="third")
    assert '"second"' in error.params["sheets"]


def test_excel_numeric_header_becomes_string_and_duplicates_are_refused(tmp_path):
    path = tmp_path / "d.xlsx"
    pd.DataFrame([[2020, 2021], [1, 2]]).to_excel(path, index=False, header=False)
    assert list(read(path).columns) == ["2020", "2021"]
    pd.DataFrame([["a", "a", "b"], [1, 2, 3]]).to_excel(path, index=False, header=False)
    assert data_error("data.duplicate_columns", read, path).params["names"] == '"a"'


def test_json_lines_json_array_and_columns(tmp_path):
    lines = tmp_path / "d.jsonl"
    lines.write_text('{"a": 1, "b": "x"}\n\n{"a": 2, "b": null, "c": {"d": 1}}\n', "utf-8")
    df = read(lines)
    assert list(df.columns) == ["a", "b", "c.d"] and df["a"].tolist() == [1, 2] and pd.isna(df["b"][1])

    array = tmp_path / "d.json"
    array.write_text('[{"a": 1, "when": "2024-01-01"}, {"a": 2, "when": "2024-01-02"}]', "utf-8")
    df = read(array)
    assert df["when"].tolist() == ["2024-01-01", "2024-01-02"] and df.attrs["manabu_source"]["format"] == "json"

    array.write_text('{"a": 1}\n{"a": 2}\n', "utf-8")  # JSON lines in a .json file
    df = read(array)
    assert df["a"].tolist() == [1, 2] and df.attrs["manabu_source"]["format"] == "jsonl"

    array.write_text('{"a": [1, 2], "b": ["x", "y"]}', "utf-8")
    assert read(array).to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_bad_json(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": 1}\n{"a": 2,}\n', "utf-8")
    assert data_error("data.bad_json", read, path).params["line"] == 2
    path.write_text('{"a": 1}\n[1, 2]\n', "utf-8")
    error = data_error("data.json_line_shape", read, path)
    assert error.params["line"] == 2 and error.params["found"] == "array"
    other = tmp_path / "d.json"
    other.write_text("[1, 2, 3]", "utf-8")
    data_error("data.json_shape", read, other)


# --- SQL -------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path) -> Path:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as connection:
        sample_frame().to_sql("people", connection, index=False)
    return path


def test_sqlite_table_and_query(sqlite_db):
    url = f"sqlite:///{sqlite_db}"
    df = read(url, table="people")
    assert df.shape == (3, 3) and df["city"].tolist()[:2] == ["東京", "大阪"]
    assert df.attrs["manabu_source"]["format"] == "sql"
    df = read(url, query="SELECT id, score FROM people WHERE id > 1")
    assert df.to_dict("list")["id"] == [2, 3]
    assert read(sqlite_db, table="people").shape == (3, 3)  # a .db path reads as SQLite too


def test_sqlite_mistakes(sqlite_db, tmp_path):
    url = f"sqlite:///{sqlite_db}"
    assert '"people"' in data_error("data.sql_needs_table", read, url).params["tables"]
    data_error("data.sql_table_and_query", read, url, table="people", query="SELECT 1")
    assert data_error("data.sql_no_table_guess", read, url, table="peple").params["guess"] == "people"
    data_error("data.sql_no_table", read, url, table="orders")
    assert "no such table" in data_error("data.sql_failed", read, url, query="SELECT * FROM orders").params["reason"]
    missing = tmp_path / "nowhere.db"
    data_error("data.not_found", read, f"sqlite:///{missing}", table="people")
    assert not missing.exists()  # SQLite would have created an empty database
    fake = tmp_path / "fake.sqlite"
    fake.write_text("not a database", "utf-8")
    data_error("data.sql_failed", read, f"sqlite:///{fake}", table="people")


def test_unreachable_database_says_so_and_hides_the_password():
    with pytest.raises(DataError) as info:
        read("postgresql://user:secret@127.0.0.1:1/db", table="t")
    assert info.value.key in ("data.sql_driver", "data.sql_failed")
    assert "secret" not in str(info.value) and "127.0.0.1" in str(info.value)
    error = data_error("data.sql_bad_url", read, "postgresql://user:secret@host:notaport/db", table="t")
    assert "secret" not in str(error)
    data_error("data.sql_bad_url", read, "nosuchdialect://host/db", table="t")


def test_file_urls_read_as_paths_and_web_urls_are_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n", "utf-8")
    assert read(path.as_uri()).shape == (1, 2)
    data_error("data.remote_url", read, "https://example.com/train.csv")


# --- frames --------------------------------------------------------------------------------


def test_pandas_frame_is_copied_and_names_become_strings():
    frame = pd.DataFrame({0: [1, 2], "b": ["x", "y"]})
    df = read(frame)
    assert list(df.columns) == ["0", "b"] and df.attrs["manabu_source"]["format"] == "pandas"
    df.loc[0, "b"] = "changed"
    assert frame.loc[0, "b"] == "x" and list(frame.columns) == [0, "b"]
    data_error("data.duplicate_columns", read, pd.DataFrame([[1, 2]], columns=[1, "1"]))
    data_error("data.no_rows", read, pd.DataFrame({"a": []}))


def test_polars_frames():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"a": [1, 2], "b": ["東京", None]})
    df = read(frame)
    assert isinstance(df, pd.DataFrame) and df["a"].tolist() == [1, 2] and df["b"].tolist()[0] == "東京"
    assert read(frame.lazy().filter(pl.col("a") > 1)).shape == (1, 2)


def test_unsupported_source():
    data_error("data.unsupported_source", read, 42)


# --- bad files -----------------------------------------------------------------------------


def test_missing_file_suggests_a_close_name(tmp_path):
    (tmp_path / "train.csv").write_text("a\n1\n", "utf-8")
    error = data_error("data.not_found_guess", read, tmp_path / "trian.csv")
    assert error.params["guess"].endswith("train.csv")
    data_error("data.not_found", read, tmp_path / "nothing_like_it.parquet")
    data_error("data.not_found", read, tmp_path / "no_folder" / "x.csv")


def test_directory_empty_and_header_only(tmp_path):
    data_error("data.images_empty_folder", read, tmp_path)  # a folder is read as images (tests/data/test_read_images.py)
    path = tmp_path / "d.csv"
    path.write_bytes(b"")
    data_error("data.empty", read, path)
    path.write_text(" \n\n  \n", "utf-8")
    data_error("data.empty", read, path)
    path.write_text("a,b,c\n", "utf-8")
    assert data_error("data.no_rows", read, path).params["columns"] == '"a", "b", "c"'


def test_binary_file_named_csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(bytes(range(256)) * 8)
    data_error("data.binary", read, path)


def test_unknown_extension_and_xls(tmp_path):
    docx = tmp_path / "report.docx"
    docx.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    assert data_error("data.unknown_format", read, docx).params["ext"] == ".docx"
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    data_error("data.xls", read, xls)


def test_content_wins_over_a_wrong_extension_with_a_notice(tmp_path):
    parquet_as_csv = tmp_path / "really_parquet.csv"
    sample_frame().to_parquet(parquet_as_csv)
    df = read(parquet_as_csv)
    assert df.shape == (3, 3) and df.attrs["manabu_source"]["format"] == "parquet"
    assert notice_keys(df) == ["data.format_mismatch"]
    assert "Parquet" in df.attrs["manabu_notices"][0].render("en")
    excel_as_csv = tmp_path / "really_excel.csv"
    sample_frame().to_excel(excel_as_csv, index=False, engine="openpyxl")
    assert read(excel_as_csv).attrs["manabu_source"]["format"] == "excel"


def test_corrupt_parquet_and_xlsx(tmp_path):
    good = tmp_path / "good.parquet"
    sample_frame().to_parquet(good)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[:200])
    data_error("data.corrupt", read, cut)
    text = tmp_path / "text.parquet"
    text.write_text("a,b\n1,2\n", "utf-8")
    data_error("data.wrong_content", read, text)
    book = tmp_path / "good.xlsx"
    sample_frame().to_excel(book, index=False)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(book.read_bytes()[:400])
    with pytest.raises(DataError) as info:
        read(broken)
    assert info.value.key in ("data.corrupt", "data.wrong_content")


def test_duplicate_csv_columns_are_refused_not_renamed(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,a,c,b\n1,2,3,4,5\n", "utf-8")
    error = data_error("data.duplicate_columns", read, path)
    assert error.params["names"] == '"a", "b"'


def test_multi_character_separator(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a::b\n1::2\n3::4\n", "utf-8")
    assert read(path, sep="::").to_dict("list") == {"a": [1, 3], "b": [2, 4]}
    path.write_text("a::b\n1::2\n3::4::5\n", "utf-8")
    assert data_error("data.ragged", read, path, sep="::").params["line"] == 3


@pytest.mark.parametrize(("text", "line"), [
    ("a,b\n1,2\n3,4,5\n6,7\n", 3),   # one long row
    ("a,b\n1,2,3\n4,5,6\n", 2),      # every row long: pandas would make the first column an index
])
def test_ragged_rows_name_the_line(tmp_path, text, line):
    path = tmp_path / "d.csv"
    path.write_text(text, "utf-8")
    error = data_error("data.ragged", read, path)
    assert error.params["line"] == line and error.params["expected"] == 2 and error.params["found"] == 3


# --- real data and properties --------------------------------------------------------------


def test_real_public_set_titanic():
    path = SHARED / "tabular" / "titanic" / "train.parquet"
    if not path.exists():
        pytest.skip(f"shared data set not found: {path}")
    df = read(path)
    assert df.shape == (712, 11) and "Survived" in df.columns and "Name" in df.columns
    assert set(df["Survived"].unique()) == {0, 1}
    assert df["Age"].isna().any()


_JAPANESE_TEXT = "東京大阪名古屋田中山田はいいいえアイウ"
_TEXT = st.text(alphabet="abcxyzABC 019,." + _JAPANESE_TEXT, min_size=1, max_size=6)
_COLUMN = st.sampled_from(["int", "float", "str"])


@st.composite
def frames(draw) -> pd.DataFrame:
    names = draw(st.lists(st.text(alphabet="abcdxyz_" + _JAPANESE_TEXT, min_size=1, max_size=5),
                          min_size=1, max_size=5, unique=True))
    rows = draw(st.integers(min_value=1, max_value=8))
    data = {}
    for name in names:
        kind = draw(_COLUMN)
        if kind == "int":
            values = st.integers(min_value=-10**6, max_value=10**6)
        elif kind == "float":
            values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
        else:
            values = _TEXT.filter(lambda s: s.strip())
        data[name] = draw(st.lists(values, min_size=rows, max_size=rows))
    return pd.DataFrame(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=frames(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
def test_any_small_frame_written_as_csv_reads_back(tmp_path, frame, encoding):
    path = tmp_path / "roundtrip.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    df = read(path)
    assert df.shape == frame.shape
    assert list(df.columns) == list(frame.columns)
    for name in frame.columns:
        if frame[name].dtype == "int64":
            assert df[name].tolist() == frame[name].tolist()
