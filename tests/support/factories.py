"""Valid request bodies for tests; each call gives fresh unique values."""

from __future__ import annotations

import itertools
import random
from typing import Any

from gatehouse.demo.korea import korean_mobile

_counter = itertools.count(1)
_random = random.Random(7)


def unique() -> int:
    return next(_counter) * 1000 + _random.randint(0, 999)


def recipient_body(**overrides: Any) -> dict[str, Any]:
    n = unique()
    body: dict[str, Any] = {
        "kind": "seller",
        "legal_name": f"Shenzhen Bright Trade Co., Ltd. {n}",
        "country": "CN",
        "contact_phone": "+86 138 0013 8000",
        "contact_email": f"ops{n}@bright-trade.example.cn",
        "privacy_officer": {
            "name": "Li Wei",
            "email": f"privacy{n}@bright-trade.example.cn",
            "phone": "+86 139 0013 9000",
        },
        "purposes": ["fulfilment"],
        "retention_days": 90,
        "certifications": [],
    }
    body.update(overrides)
    return body


def subject_body(**overrides: Any) -> dict[str, Any]:
    n = unique()
    body: dict[str, Any] = {
        "external_ref": f"cus_{n}",
        "name": "홍길동",
        "email": f"gildong{n}@example.kr",
        "phone": korean_mobile(n),
        "address": {
            "postal_code": "06236",
            "line1": "서울특별시 강남구 테헤란로 152",
            "line2": "12층",
        },
        "customs_code": f"P{n:012d}",
        "residence_country": "KR",
        "locale": "ko-KR",
    }
    body.update(overrides)
    return body


TERMS_CLAUSES = {
    "safety_measures": "Access control, encryption in transit and at rest, access logs.",
    "complaint_handling": "Complaints answered within 10 days; disputes go to mediation.",
    "purpose_limitation": "Customer data is used only to fulfil and deliver the order.",
    "deletion": "Deleted when the view closes, on request, or when retention ends; confirmed.",
    "onward_transfer": "No onward transfer without equivalent protection and consent.",
}
