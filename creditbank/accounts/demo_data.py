"""Synthetic people for the demo and for tests: valid-looking, never real.

ID numbers carry a real Anhui region code and a correct GB 11643 check digit; phone numbers
use the 139 segment. Names are built from common surnames and given names.
"""

from __future__ import annotations

import datetime as dt
import random

from creditbank.core.validators import id_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红玲建国志文斌辉鹏宇浩凯晨欣怡佳琪雪梅海燕春林琳子轩梓涵一诺思远"
ANHUI_COUNTIES = (
    "340102",
    "340103",
    "340104",
    "340111",
    "340202",
    "340302",
    "340402",
    "340503",
    "340602",
    "340705",
    "340802",
    "341002",
    "341102",
    "341202",
    "341302",
    "341502",
    "341602",
    "341702",
    "341802",
    "340882",
    "341226",
)


def resident_id(region: str, birth: dt.date, sequence: int, *, female: bool | None = None) -> str:
    """An 18-character number with a correct check digit (GB 11643-1999 §6.2)."""
    seq = sequence % 1000
    if female is not None and (seq % 2 == 0) != female:
        seq = (seq + 1) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def person(index: int, *, seed: int = 2026) -> dict[str, str]:
    """The ``index``-th synthetic person: stable for a given seed, so the demo is idempotent."""
    rng = random.Random(seed * 1_000_003 + index)  # noqa: S311 - synthetic data, not security
    region = ANHUI_COUNTIES[index % len(ANHUI_COUNTIES)]
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return {
        "name": name,
        "id_number": resident_id(region, birth, 100 + index % 800 + index // 800),
        "phone": f"139{index:08d}",
        "region": region,
    }
