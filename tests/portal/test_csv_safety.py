import pytest

from portal.csv_safety import spreadsheet_safe


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"x\")", "+1", "-1+2", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_cells_that_start_like_a_formula_are_neutralised(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "00-DB-12-34-56-78-90-A0", "Change of tenancy", "a=b"])
def test_ordinary_cells_are_unchanged(cell):
    assert spreadsheet_safe(cell) == cell
