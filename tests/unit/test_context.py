"""Prefix/suffix windows: within budget, grid-aligned, stable while typing."""

from __future__ import annotations

from lsp_server.context import GRID_LINES, TokenCounter, cursor_line, cursor_window, line_starts_of


def words(text: str) -> int:
    return len(text.split())


def make_file(lines: int) -> str:
    return "".join(f"value_{i} = compute({i}, {i + 1})\n" for i in range(lines))


def test_small_file_fits_whole() -> None:
    text = make_file(10)
    offset = text.index("value_5")
    window = cursor_window(text, offset, line_starts_of(text), TokenCounter(words), 500, 500)
    assert window.prefix == text[:offset]
    assert window.suffix == text[offset:]


def test_budget_respected_and_window_starts_on_grid_line() -> None:
    text = make_file(400)
    starts = line_starts_of(text)
    offset = starts[300] + 5
    window = cursor_window(text, offset, starts, TokenCounter(words), 200, 60)
    assert words(window.prefix) <= 200 and words(window.suffix) <= 60
    first_line = starts.index(window.prefix_start)
    assert first_line % GRID_LINES == 0
    assert window.prefix_tokens == words(window.prefix)


def test_prefix_start_is_stable_while_typing() -> None:
    text = make_file(400)
    starts = line_starts_of(text)
    counter = TokenCounter(words)
    offset = starts[300] + 5
    first = cursor_window(text, offset, starts, counter, 200, 60)
    typed = text[:offset] + "abc" + text[offset:]
    second = cursor_window(typed, offset + 3, line_starts_of(typed), counter, 200, 60)
    assert second.prefix_start == first.prefix_start
    assert second.prefix.startswith(first.prefix)


def test_chunk_counts_are_cached() -> None:
    calls: list[str] = []

    def counting(text: str) -> int:
        calls.append(text)
        return words(text)

    text = make_file(400)
    starts = line_starts_of(text)
    counter = TokenCounter(counting)
    cursor_window(text, starts[300], starts, counter, 200, 60)
    first = len(calls)
    cursor_window(text, starts[300] + 1, starts, counter, 200, 60)
    assert len(calls) - first <= 2  # only the chunks under the cursor are counted again


def test_one_huge_line_is_cut_by_characters() -> None:
    text = "x = [" + ", ".join(str(i) for i in range(5000)) + "]\n"
    offset = len(text) - 2
    window = cursor_window(text, offset, line_starts_of(text), TokenCounter(words), 100, 10)
    assert 0 < words(window.prefix) <= 100
    assert text[:offset].endswith(window.prefix)


def test_cursor_line_parts_and_line_break_style() -> None:
    text = "a = 1\r\nb = foo\r\n"
    offset = text.index("oo\r\n")
    line = cursor_line(text, offset, line_starts_of(text))
    assert (line.before, line.after, line.eol) == ("b = f", "oo", "\r\n")
