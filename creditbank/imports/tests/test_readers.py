import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.imports.readers import FileRefused, cell_text, normalize_header, open_table
from creditbank.imports.services import LEARNER_COLUMNS
from creditbank.imports.tests.helpers import HEADER, csv_bytes, write_csv, write_xlsx, xlsx_bytes

ROWS = [
    ["张三", "居民身份证", "34052419800101001X", "13900000001", "340104"],
    ["欧阳娜娜", "", "110105199001011237", "13800000002", ""],
]


def _read(path, filename=None):
    with open_table(path, filename=filename or path.name, columns=LEARNER_COLUMNS) as table:
        return table, [
            (row.line, [table.cell(row, key) for key in ("name", "id_type", "id_number", "phone", "region")])
            for row in table.rows()
        ]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_reads_csv_in_every_encoding_chinese_excel_writes(tmp_path, encoding, expected):
    # given: the same rows written as real bytes of each encoding
    path = write_csv(tmp_path / "learners.csv", ROWS, encoding=encoding)
    # when
    table, rows = _read(path)
    # then
    assert table.encoding == expected
    assert rows == [(2, ROWS[0]), (3, ROWS[1])]


def test_utf8_bom_does_not_stick_to_the_first_header(tmp_path):
    # given
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_bytes(ROWS[:1]))
    # when
    table, rows = _read(path)
    # then
    assert table.headers[0] == "姓名"
    assert rows[0][1][0] == "张三"


def test_gb18030_characters_outside_gbk_are_read(tmp_path):
    # given: a rare given name only GB18030 encodes (U+4DAE, 䶮)
    path = write_csv(tmp_path / "rare.csv", [["刘䶮", "", "34052419800101001X", "13900000001", ""]], encoding="gb18030")
    # when
    _, rows = _read(path)
    # then
    assert rows[0][1][0] == "刘䶮"


def test_reads_xlsx_and_normalises_cell_types(tmp_path):
    # given: numbers, a date and an empty cell as Excel stores them
    path = write_xlsx(
        tmp_path / "learners.xlsx",
        [["张三", None, "34052419800101001X", 13900000001, 340104.0, dt.date(2020, 1, 2), 3.0, 1.5]],
        header=[*HEADER, "入学日期", "数量", "比例"],
    )
    # when
    with open_table(path, filename=path.name, columns=LEARNER_COLUMNS) as table:
        (row,) = list(table.rows())
    # then
    assert row.line == 2
    assert row.cells == ["张三", "", "34052419800101001X", "13900000001", "340104", "2020-01-02", "3", "1.5"]
    assert row.lossy is None


def test_xlsx_id_number_stored_as_a_number_is_flagged_as_lossy(tmp_path):
    # given: an 18-digit ID number typed into a number cell (Excel keeps 15 digits)
    path = write_xlsx(tmp_path / "lost.xlsx", [["张三", "", 340524198001010000, 13900000001, ""]])
    # when
    with open_table(path, filename=path.name, columns=LEARNER_COLUMNS) as table:
        (row,) = list(table.rows())
    # then: the phone (11 digits) is exact, the ID number is not
    assert row.cells[3] == "13900000001"
    assert row.lossy == frozenset({2})


def test_csv_scientific_notation_is_flagged_as_lossy(tmp_path):
    # given: what Excel writes into a CSV for a long number it shows as 3.40524E+17
    path = write_csv(tmp_path / "sci.csv", [["张三", "", "3.40524E+17", "13900000001", ""]])
    # when
    with open_table(path, filename=path.name, columns=LEARNER_COLUMNS) as table:
        (row,) = list(table.rows())
    # then
    assert row.lossy == frozenset({2})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("", False)),
        (3.0, ("3", False)),
        (1.5, ("1.5", False)),
        (123456789012345.0, ("123456789012345", False)),
        (3.4052419800101e17, (str(int(3.4052419800101e17)), True)),
        (True, ("TRUE", False)),
        (dt.date(2020, 1, 2), ("2020-01-02", False)),
        (dt.datetime(2020, 1, 2), ("2020-01-02", False)),  # noqa: DTZ001 - Excel cells are naive
        (dt.datetime(2020, 1, 2, 3, 4, 5), ("2020-01-02 03:04:05", False)),  # noqa: DTZ001 - Excel cells are naive
    ],
)
def test_cell_text(value, expected):
    assert cell_text(value) == expected


def test_headers_match_english_aliases_case_full_width_and_decorations(tmp_path):
    # given: English aliases in odd case, full-width letters and a required-field star
    header = ["  NAME ", "ｉｄ＿ｔｙｐｅ", "ID Number*", "手机号码（必填）", "Region"]
    path = write_csv(tmp_path / "aliases.csv", [ROWS[0]], header=header)
    # when
    table, rows = _read(path)
    # then
    assert table.index == {"name": 0, "id_type": 1, "id_number": 2, "phone": 3, "region": 4}
    assert rows == [(2, ROWS[0])]


def test_optional_columns_may_be_missing_and_others_are_ignored(tmp_path):
    # given
    path = write_csv(
        tmp_path / "min.csv",
        [["备注", "张三", "34052419800101001X", "13900000001"]],
        header=["备注", "姓名", "证件号码", "手机号码"],
    )
    # when
    _, rows = _read(path)
    # then
    assert rows == [(2, ["张三", "", "34052419800101001X", "13900000001", ""])]


def test_empty_rows_are_skipped_and_lines_are_spreadsheet_rows(tmp_path):
    # given: two blank lines before the header, an empty row and a row of spaces in the data
    text = "\n\n" + ",".join(HEADER) + "\n" + ",".join(ROWS[0]) + "\n,,,,\n  , ,\n" + ",".join(ROWS[1]) + "\n"
    path = tmp_path / "gaps.csv"
    path.write_text(text, encoding="utf-8")
    # when
    table, rows = _read(path)
    # then: the header is row 3, so the data rows are 4 and 7
    assert table.header_line == 3
    assert [line for line, _ in rows] == [4, 7]


def test_xlsx_lines_count_leading_empty_rows(tmp_path):
    # given
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet["A3"] = "姓名"
    sheet["B3"] = "证件号码"
    sheet["C3"] = "手机号码"
    sheet.append(["张三", "34052419800101001X", "13900000001"])
    sheet.append([])
    sheet.append(["李四", "110105199001011237", "13800000002"])
    path = tmp_path / "offset.xlsx"
    workbook.save(path)
    # when
    _, rows = _read(path)
    # then
    assert [line for line, _ in rows] == [4, 6]


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("empty.csv", b"", "file_empty"),
        ("blank.csv", b"\n\n , \n", "file_empty"),
        ("latin1.csv", "姓名,证件号码,手机号码\n".encode() + b"\xff\xfe\x80\x81\n", "encoding_unknown"),
        ("garbage.csv", bytes(range(256)) * 40, "not_a_spreadsheet"),
        ("controls.csv", b"\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f" * 50, "not_a_spreadsheet"),
        ("renamed.csv", xlsx_bytes([ROWS[0]]), "xlsx_named_csv"),
        ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "not_a_spreadsheet"),
        ("fake.xlsx", csv_bytes([ROWS[0]]), "not_a_spreadsheet"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200, "not_a_spreadsheet"),
        ("learners.xls", b"\xd0\xcf\x11\xe0", "file_type_unsupported"),
        ("learners.pdf", b"%PDF-1.4", "file_type_unsupported"),
    ],
)
def test_files_that_cannot_be_read_are_refused_whole(tmp_path, filename, content, code):
    # given
    path = tmp_path / filename
    path.write_bytes(content)
    # when
    with pytest.raises(FileRefused) as excinfo:
        open_table(path, filename=filename, columns=LEARNER_COLUMNS)
    # then
    assert excinfo.value.code == code
    assert excinfo.value.details[0]["code"] == code


def test_missing_required_columns_are_listed(tmp_path):
    # given: no name and no phone column
    path = write_csv(tmp_path / "missing.csv", [["居民身份证", "34052419800101001X"]], header=["证件类型", "证件号码"])
    # when
    with pytest.raises(FileRefused) as excinfo:
        open_table(path, filename=path.name, columns=LEARNER_COLUMNS)
    # then
    assert excinfo.value.code == "missing_columns"
    assert [(item["field"], item["code"]) for item in excinfo.value.details] == [
        ("name", "missing_columns"),
        ("phone", "missing_columns"),
    ]
    assert "姓名" in excinfo.value.message
    assert "手机号码" in excinfo.value.message


def test_missing_columns_in_xlsx_are_refused(tmp_path):
    # given
    path = write_xlsx(tmp_path / "missing.xlsx", [["张三"]], header=["姓名"])
    # when
    with pytest.raises(FileRefused) as excinfo:
        open_table(path, filename=path.name, columns=LEARNER_COLUMNS)
    # then
    assert excinfo.value.code == "missing_columns"
    assert {item["field"] for item in excinfo.value.details} == {"id_number", "phone"}


def test_a_column_named_twice_is_refused(tmp_path):
    # given
    path = write_csv(tmp_path / "twice.csv", [[*ROWS[0], "x"]], header=[*HEADER, "name"])
    # when
    with pytest.raises(FileRefused) as excinfo:
        open_table(path, filename=path.name, columns=LEARNER_COLUMNS)
    # then
    assert excinfo.value.code == "duplicate_columns"


def test_reads_an_uploaded_file_object_and_leaves_it_open(tmp_path):
    # given: a binary file object such as Django's UploadedFile
    handle = io.BytesIO(csv_bytes(ROWS, encoding="gbk"))
    # when
    with open_table(handle, filename="upload.csv", columns=LEARNER_COLUMNS) as table:
        lines = [row.line for row in table.rows()]
    # then
    assert lines == [2, 3]
    assert handle.closed is False


def test_tab_separated_text_is_read(tmp_path):
    # given: what "Unicode text" exports look like, in UTF-8
    path = tmp_path / "tabs.csv"
    path.write_text("\t".join(HEADER) + "\n" + "\t".join(ROWS[0]) + "\n", encoding="utf-8")
    # when
    _, rows = _read(path)
    # then
    assert rows == [(2, ROWS[0])]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8), min_size=5, max_size=5))
def test_any_text_row_round_trips_through_utf8_and_gb18030(cells):
    # given: any row of printable text (GB18030 encodes every Unicode character)
    for encoding in ("utf-8", "gb18030"):
        handle = io.BytesIO(csv_bytes([cells], encoding=encoding))
        # when
        with open_table(handle, filename="any.csv", columns=LEARNER_COLUMNS) as table:
            rows = list(table.rows())
        # then: a row is returned unless all its cells are blank
        if "".join(cells).strip():
            assert [row.cells for row in rows] == [cells]
        else:
            assert rows == []


def test_row_estimate_is_an_upper_bound(tmp_path):
    # given
    path = write_csv(tmp_path / "three.csv", [ROWS[0], ROWS[1], ROWS[0]])
    # when
    with open_table(path, filename=path.name, columns=LEARNER_COLUMNS) as table:
        rows = list(table.rows())
        estimate = table.row_estimate
    # then
    assert len(rows) == 3
    assert 3 <= estimate <= 4


def test_normalize_header():
    assert normalize_header(" 证件号码（必填） ") == "证件号码"
    assert normalize_header("ID_Number") == "idnumber"
    assert normalize_header("ＰＨＯＮＥ") == "phone"
