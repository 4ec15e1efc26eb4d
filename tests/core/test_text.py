import random

import pytest

from core.text import XML_ILLEGAL, xml_safe


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Q&A\tpart 1\r\n", "Q&A\tpart 1\r\n"),
        ("bell\x07 and del\x7f", "bell and del"),
        ("café € 😀 \x85\u2028", "café € 😀 \x85\u2028"),
        ("not\ufffe a\uffff character", "not a character"),
        ("lone \ud800, halves \ud83d\ude00", "lone , halves "),
        (None, ""),
        (42, "42"),
    ],
)
def test_it_removes_only_what_xml_and_utf8_cannot_carry(value, expected):
    assert xml_safe(value) == expected


def test_it_removes_what_the_expression_names_from_any_text():
    picks = [chr(c) for c in range(0xA0)] + ["\ufffe", "\uffff", "\ud800", "\udfff", "é", "😀"]
    generator = random.Random(22)
    for _ in range(20_000):
        text = "".join(generator.choice(picks) for _ in range(generator.randint(0, 12)))
        assert xml_safe(text) == XML_ILLEGAL.sub("", text)
