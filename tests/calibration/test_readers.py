"""Reading ACLED and GTD exports: the quirks of real files, and one-line errors."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from riskmc.calibration import EventFileError, filter_events, read_acled, read_events, read_gtd
from riskmc.calibration.readers import ACLED_COLUMNS, ACLED_REQUIRED

from .conftest import acled_row, gtd_row


def test_the_31_columns():
    assert len(ACLED_COLUMNS) == 31
    assert set(ACLED_REQUIRED) <= set(ACLED_COLUMNS)


def test_both_date_formats_row_by_row(write_acled):
    path = write_acled([acled_row(event_date="2023-02-16"), acled_row(event_date="16 May 2025")])
    table = read_acled(path)
    assert table.events["date"].dt.date.tolist() == [date(2023, 2, 16), date(2025, 5, 16)]
    assert table.events["row"].tolist() == [2, 3]


def test_quoted_notes_with_commas_and_newlines_keep_rows_counted(write_acled):
    note = 'Militants, in two groups, attacked\na "convoy" on the N-40,\nthen fled.'
    path = write_acled(
        [
            acled_row(notes=note),
            acled_row(notes="plain"),
            acled_row(event_date="2023-99-01"),
        ]
    )
    # The third record starts on line 6 of the file but is row 4 of the table.
    with pytest.raises(EventFileError) as info:
        read_acled(path)
    assert str(info.value) == (
        f"{path}: row 4, column event_date: unparseable date '2023-99-01'; "
        "expected like 2023-02-16 or 16 May 2025"
    )
    ok = read_acled(write_acled([acled_row(notes=note), acled_row()], name="ok.csv"))
    assert 'attacked\na "convoy" on the n-40' in ok.events["text"].iloc[0]
    assert len(ok.events) == 2


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(EventFileError, match=r"empty\.csv: row 1: the file is empty"):
        read_acled(path)


def test_header_only(write_acled):
    path = write_acled([])
    with pytest.raises(EventFileError, match=r"row 2: no events"):
        read_acled(path)


def test_wrong_columns_name_the_first_missing_one(write_acled):
    path = write_acled([acled_row()], columns=("event_date", "admin1", "notes"))
    with pytest.raises(EventFileError) as info:
        read_acled(path)
    message = str(info.value)
    assert message.startswith(f"{path}: row 1, column admin2: missing columns admin2, ")
    assert "\n" not in message


def test_gtd_file_read_as_acled_is_an_error(write_gtd):
    path = write_gtd([gtd_row()])
    with pytest.raises(EventFileError, match=r"row 1, column event_date: missing columns"):
        read_acled(path)


def test_row_with_a_field_too_many(tmp_path):
    header = ",".join(ACLED_COLUMNS)
    good = ",".join(acled_row().get(c, "") for c in ACLED_COLUMNS)
    path = tmp_path / "cut.csv"
    path.write_text(f"{header}\n{good}\n{good},extra\n", encoding="utf-8")
    with pytest.raises(
        EventFileError, match=r"cut\.csv: row 3: has 32 fields but the header has 31"
    ):
        read_acled(path)


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("fatalities", "many", "must be a whole number from 0 to 1e+06, got 'many'"),
        ("fatalities", "-1", "must be a whole number from 0 to 1e+06, got '-1'"),
        ("latitude", "95", "must be a number from -90 to 90, got '95'"),
        ("longitude", "east", "must be a number from -180 to 180, got 'east'"),
    ],
)
def test_bad_numbers_name_row_and_column(write_acled, column, value, rule):
    path = write_acled([acled_row(), acled_row(**{column: value})])
    with pytest.raises(EventFileError) as info:
        read_acled(path)
    assert str(info.value) == f"{path}: row 3, column {column}: {rule}"


def test_missing_file(tmp_path):
    with pytest.raises(EventFileError, match=r"nothere\.csv: no such file"):
        read_events(tmp_path / "nothere.csv")


def test_gtd_reader_unknown_days_are_set_aside_not_dropped(write_gtd):
    path = write_gtd(
        [
            gtd_row(),
            gtd_row(iday="0", city="Nok Kundi"),
            gtd_row(imonth="7", iday="21", city="Turbat", summary="Café owner's bus attacked"),
        ]
    )
    table = read_gtd(path)
    assert table.events["date"].dt.date.tolist() == [date(2015, 3, 4), date(2015, 7, 21)]
    assert table.excluded.to_dict("records") == [
        {"row": 3, "reason": "GTD month or day unknown (0)"}
    ]
    assert table.encoding == "latin-1"
    assert "café owner's bus" in table.events["text"].iloc[1]
    assert table.events["actors"].iloc[0] == "Baloch Liberation Army (BLA)"


def test_gtd_impossible_date(write_gtd):
    path = write_gtd([gtd_row(imonth="2", iday="30")])
    with pytest.raises(EventFileError, match=r"row 2, column iday: no such date 2015-02-30"):
        read_gtd(path)


def test_gtd_blank_nkill_is_unknown(write_gtd):
    table = read_gtd(write_gtd([gtd_row(nkill="")]))
    assert pd.isna(table.events["fatalities"].iloc[0])


def test_filters_record_what_they_remove(write_acled):
    rows = [
        acled_row(event_date="2022-12-31"),
        acled_row(admin1="Baluchistan"),
        acled_row(admin1="Sindh", admin2="Karachi"),
        acled_row(event_type="Protests", sub_event_type="Peaceful protest"),
        acled_row(actor1="Unidentified Armed Group (Pakistan)"),
        acled_row(event_date="2024-01-01"),
    ]
    table = read_acled(write_acled(rows))
    out = filter_events(
        table,
        region="Balochistan",
        start=date(2023, 1, 1),
        end=date(2023, 12, 31),
        event_types=["explosions/remote violence"],
        actors=["BLA"],
    )
    assert out.events["row"].tolist() == [3]
    assert out.window == (date(2023, 1, 1), date(2023, 12, 31))
    reasons = dict(zip(out.excluded["row"], out.excluded["reason"], strict=True))
    assert reasons == {
        4: "outside region Balochistan",
        2: "before 2023-01-01",
        7: "after 2023-12-31",
        5: "event type not selected",
        6: "actor not selected",
    }
    assert len(out.events) + len(out.excluded) == len(rows)
