"""Korean customers as a marketplace really has them: names, road-name addresses, mobiles."""

from __future__ import annotations

import random

from faker import Faker

from gatehouse.domain.contact import normalise_kr_mobile
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.subjects import SubjectPII, validate_subject_pii

__all__ = ["KoreanCustomers", "korean_mobile"]

# (province, city or district, roads in it, postal-code prefixes): real combinations, so
# the addresses read like ones a delivery driver would see.
_REGIONS: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("서울특별시", "강남구", ("테헤란로", "강남대로", "도산대로", "봉은사로", "논현로"), ("06",)),
    ("서울특별시", "마포구", ("월드컵북로", "양화로", "독막로", "와우산로"), ("04",)),
    ("서울특별시", "송파구", ("올림픽로", "송파대로", "백제고분로", "오금로"), ("05",)),
    ("서울특별시", "종로구", ("세종대로", "종로", "율곡로", "자하문로"), ("03",)),
    ("서울특별시", "노원구", ("동일로", "노원로", "상계로"), ("01",)),
    ("부산광역시", "해운대구", ("해운대로", "센텀중앙로", "좌동로"), ("48",)),
    ("부산광역시", "부산진구", ("중앙대로", "서면로", "전포대로"), ("47",)),
    ("인천광역시", "연수구", ("컨벤시아대로", "송도과학로", "앵고개로"), ("21", "22")),
    ("대구광역시", "수성구", ("달구벌대로", "동대구로", "수성로"), ("42",)),
    ("대전광역시", "유성구", ("대학로", "엑스포로", "유성대로"), ("34",)),
    ("광주광역시", "서구", ("상무중앙로", "무진대로", "죽봉대로"), ("61", "62")),
    ("울산광역시", "남구", ("삼산로", "번영로", "문수로"), ("44",)),
    ("세종특별자치시", "", ("한누리대로", "도움3로", "갈매로"), ("30",)),
    ("경기도", "성남시 분당구", ("판교역로", "분당로", "황새울로", "정자일로"), ("13",)),
    ("경기도", "수원시 영통구", ("광교중앙로", "봉영로", "영통로"), ("16",)),
    ("경기도", "고양시 일산동구", ("중앙로", "일산로", "정발산로"), ("10",)),
    ("경기도", "용인시 수지구", ("포은대로", "수지로", "문정로"), ("16",)),
    ("강원특별자치도", "춘천시", ("중앙로", "석사로", "후석로"), ("24",)),
    ("충청북도", "청주시 상당구", ("상당로", "대성로", "용암로"), ("28",)),
    ("전북특별자치도", "전주시 완산구", ("팔달로", "홍산로", "효자로"), ("55",)),
    ("경상남도", "창원시 성산구", ("중앙대로", "원이대로", "창원대로"), ("51",)),
    ("경상북도", "포항시 남구", ("포스코대로", "희망대로", "대이로"), ("37",)),
    ("제주특별자치도", "제주시", ("연삼로", "노연로", "중앙로"), ("63",)),
]
_MAIL_DOMAINS = ("naver.com", "gmail.com", "daum.net", "kakao.com", "hanmail.net", "nate.com")
_APARTMENTS = ("래미안", "자이", "힐스테이트", "푸르지오", "e편한세상", "아이파크", "롯데캐슬")


def korean_mobile(n: int) -> str:
    """A valid 010 number derived from ``n``: the same ``n`` always gives the same number."""
    while True:
        candidate = f"010-{2000 + n % 8000:04d}-{n % 10000:04d}"
        try:
            normalise_kr_mobile(candidate)
        except InvalidInput:
            # Some 010 blocks are unallocated: step to another.
            n += 7
            continue
        return candidate


class KoreanCustomers:
    """Generates validated Korean customers, reproducibly from a seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._faker = Faker("ko_KR")
        self._faker.seed_instance(seed)
        self._latin = Faker("en_US")
        self._latin.seed_instance(seed)

    def reseed(self, seed: int) -> None:
        """Start every stream again from ``seed``, so what :meth:`one` draws next depends on
        ``seed`` alone, not on the customers drawn before it."""
        self._random.seed(seed)
        self._faker.seed_instance(seed)
        self._latin.seed_instance(seed)

    def _address(self) -> tuple[str, str, str | None]:
        rnd = self._random
        province, district, roads, prefixes = rnd.choice(_REGIONS)
        road = rnd.choice(roads)
        if rnd.random() < 0.3:
            road = f"{road}{rnd.randint(1, 40)}번길"
        number = str(rnd.randint(1, 420))
        if rnd.random() < 0.15:
            number += f"-{rnd.randint(1, 30)}"
        line1 = " ".join(part for part in (province, district, road, number) if part)
        postal = rnd.choice(prefixes) + f"{rnd.randint(0, 999):03d}"
        kind = rnd.random()
        if kind < 0.55:
            line2: str | None = (
                f"{rnd.choice(_APARTMENTS)} {rnd.randint(101, 125)}동 "
                f"{rnd.randint(1, 35)}{rnd.randint(1, 6):02d}호"
            )
        elif kind < 0.85:
            line2 = f"{rnd.randint(1, 12)}층"
        else:
            line2 = None
        return postal, line1, line2

    def _mobile(self) -> str:
        rnd = self._random
        spelling = rnd.choice(("010-{a}-{b}", "010{a}{b}", "+82 10-{a}-{b}"))
        while True:
            # Some 010 blocks are unallocated; draw again until the number plan accepts it.
            candidate = spelling.format(a=rnd.randint(2000, 9999), b=f"{rnd.randint(0, 9999):04d}")
            try:
                normalise_kr_mobile(candidate)
            except InvalidInput:
                continue
            return candidate

    def one(self, index: int) -> SubjectPII:
        """The customer at ``index`` (the external ref is derived from it, so it is unique)."""
        rnd = self._random
        postal, line1, line2 = self._address()
        user = self._latin.user_name().replace(".", "")
        phone = self._mobile()
        customs = f"P{rnd.randint(0, 10**12 - 1):012d}" if rnd.random() < 0.6 else None
        return validate_subject_pii(
            external_ref=f"cus_{index:07d}",
            name=self._faker.name(),
            email=f"{user}{rnd.randint(1, 9999)}@{rnd.choice(_MAIL_DOMAINS)}",
            phone=phone,
            postal_code=postal,
            line1=line1,
            line2=line2,
            customs_code=customs,
        )
