"""E-mail addresses, glued to Korean particles or not."""

from __future__ import annotations

import pytest

from gatehouse.domain.redaction import find_spans


def emails(text: str) -> list[str]:
    return [text[s.start : s.end] for s in find_spans(text) if s.kind == "email"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("abc@kakao.com으로 보내주세요", "abc@kakao.com"),
        ("메일은hong.gd@naver.com입니다", "hong.gd@naver.com"),
        ("gil.dong+tag@mail.co.kr로", "gil.dong+tag@mail.co.kr"),
        ("01049911552@kakao.com", "01049911552@kakao.com"),
        ("ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
        ("(a_b@x.io)", "a_b@x.io"),
    ],
)
def test_the_address_ends_where_ascii_ends(text: str, address: str) -> None:
    assert emails(text) == [address]


@pytest.mark.parametrize("text", ["@홍길동 님", "a@b", "이메일 @naver.com 으로", "가격 @ 3000원"])
def test_an_at_sign_alone_is_not_an_address(text: str) -> None:
    assert emails(text) == []
