"""The demo organisation of 广元市 and one demo user per role (`supervision seed-demo`).

Groups follow one naming rule so that diagrams can pick them from case data (see
docs/designer-guide.md "Groups"):
- supervision bodies: `jdk_<division>` (staff), `jdk_<division>_chief` (科长/股长),
  `jdk_<division>_leader` (分管局领导), under the justice bureau `sfj_<division>`;
- enforcement bureaus: `<unit>_<division>` (承办人) and `<unit>_<division>_head` (负责人);
- outside bodies: hotline `rx_`, 纪委监委 `jw_`, 公安 `ga_`, 检察院 `jcy_`, government office
  `zfb_`, evaluators `pg_`, invited supervisors `tyjd_`.
Division codes are GB/T 2260 (domain.md §1.3, [ASSUME] verify with 民政部). 发文机关代字
(doc_code) such as 广司 / 利司 / 剑司 are [ASSUME]: confirm with each 司法局办公室 (§4.1).

Seeding is idempotent: existing groups and users are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from supervision import identity

DEMO_PASSWORD = "Demo@2026"
CITY = "510800"
COUNTIES = {
    # division: (name, short, doc_code, pinyin prefix for user names)
    "510802": ("利州区", "利州", "利司", "lz"),
    "510811": ("昭化区", "昭化", "昭司", "zh"),
    "510812": ("朝天区", "朝天", "朝司", "ct"),
    "510821": ("旺苍县", "旺苍", "旺司", "wc"),
    "510822": ("青川县", "青川", "青司", "qc"),
    "510823": ("剑阁县", "剑阁", "剑司", "jg"),
    "510824": ("苍溪县", "苍溪", "苍司", "cx"),
}
# 市级成员单位 of the 2023-2025 quality plan (seed 附件1), as enforcement bureaus.
CITY_BUREAUS = [
    ("scjg", "广元市市场监督管理局", "Market Regulation Bureau"),
    ("sthj", "广元市生态环境局", "Ecology and Environment Bureau"),
    ("jtys", "广元市交通运输局", "Transport Bureau"),
    ("cgzf", "广元市城市管理行政执法局", "Urban Management Enforcement Bureau"),
    ("zrzy", "广元市自然资源局", "Natural Resources Bureau"),
    ("nync", "广元市农业农村局", "Agriculture and Rural Affairs Bureau"),
    ("wglv", "广元市文化广电旅游局", "Culture, Radio, TV and Tourism Bureau"),
    ("wsjk", "广元市卫生健康委员会", "Health Commission"),
    ("yjgl", "广元市应急管理局", "Emergency Management Bureau"),
    ("zjj", "广元市住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    ("slj", "广元市水利局", "Water Resources Bureau"),
    ("fgw", "广元市发展和改革委员会", "Development and Reform Commission"),
    ("czj", "广元市财政局", "Finance Bureau"),
    ("rsj", "广元市人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("zwfw", "广元市政务服务和资源交易服务中心", "Government Services and Trading Centre"),
]
# County enforcement bureaus used by the scenarios (TS-02, TS-05, TS-06, TS-10), with the
# prefix of their demo users' names.
COUNTY_BUREAUS = [
    (
        "jtzf",
        "510823",
        "剑阁县交通运输综合行政执法大队",
        "Jiange Transport Enforcement Brigade",
        "jg",
    ),
    ("zhzf", "510802", "利州区综合行政执法局", "Lizhou Comprehensive Enforcement Bureau", "lz"),
    ("scjg", "510802", "利州区市场监督管理局", "Lizhou Market Regulation Bureau", "lz_scjg"),
    ("scjg", "510821", "旺苍县市场监督管理局", "Wangcang Market Regulation Bureau", "wc"),
    ("nync", "510822", "青川县农业农村局", "Qingchuan Agriculture Bureau", "qc"),
]


@dataclass(frozen=True)
class GroupSeed:
    code: str
    name: str
    name_en: str
    level: str
    region: str
    kind: str
    parent: str | None = None
    doc_code: str | None = None


@dataclass(frozen=True)
class UserSeed:
    username: str
    display_name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]


def _supervision_body(region: str, name: str, doc_code: str, level: str) -> list[GroupSeed]:
    section = "行政执法协调监督科" if level == "city" else "行政执法监督股"
    bureau = f"{name}司法局"
    return [
        GroupSeed(
            f"sfj_{region}",
            f"{bureau}（{name}人民政府行政执法协调监督局）",
            f"{name} Justice Bureau",
            level,
            region,
            "justice_bureau",
            doc_code=doc_code,
        ),
        GroupSeed(
            f"jdk_{region}",
            f"{bureau}{section}",
            f"{name} Justice Bureau, enforcement supervision section",
            level,
            region,
            "supervision",
            f"sfj_{region}",
            doc_code,
        ),
        GroupSeed(
            f"jdk_{region}_chief",
            f"{bureau}{section}负责人",
            f"{name} supervision section chiefs",
            level,
            region,
            "supervision_chief",
            f"jdk_{region}",
        ),
        GroupSeed(
            f"jdk_{region}_leader",
            f"{bureau}分管局领导",
            f"{name} Justice Bureau leaders",
            level,
            region,
            "supervision_leader",
            f"sfj_{region}",
        ),
    ]


def _bureau(code: str, name: str, name_en: str, level: str, region: str) -> list[GroupSeed]:
    return [
        GroupSeed(code, name, name_en, level, region, "bureau"),
        GroupSeed(
            f"{code}_head", f"{name}负责人", f"{name_en}, head", level, region, "bureau_head", code
        ),
    ]


def demo_groups() -> list[GroupSeed]:
    groups = _supervision_body(CITY, "广元市", "广司", "city")
    for region, (name, _short, doc_code, _prefix) in COUNTIES.items():
        groups += _supervision_body(region, name, doc_code, "county")
    groups.append(
        GroupSeed(
            "sfs_510802001",
            "利州区东坝街道司法所（行政执法协调监督办公室）",
            "Dongba Subdistrict Justice Office",
            "township",
            "510802001",
            "justice_office",
            "sfj_510802",
        )
    )
    for unit, name, name_en in CITY_BUREAUS:
        groups += _bureau(f"{unit}_{CITY}", name, f"Guangyuan {name_en}", "city", CITY)
    for unit, region, name, name_en, _prefix in COUNTY_BUREAUS:
        groups += _bureau(f"{unit}_{region}", name, name_en, "county", region)
    groups += [
        # Vertically managed bodies: only "compliance" supervision (S1 art. 42).
        GroupSeed(
            "sw_510800",
            "国家税务总局广元市税务局",
            "Guangyuan Tax Service",
            "city",
            CITY,
            "vertical",
        ),
        GroupSeed(
            "sw_510802",
            "国家税务总局广元市利州区税务局",
            "Lizhou Tax Service",
            "county",
            "510802",
            "vertical",
            "sw_510800",
        ),
        GroupSeed(
            "rx_510800",
            "广元市12345政务服务便民热线管理机构",
            "Guangyuan 12345 Hotline Centre",
            "city",
            CITY,
            "hotline",
        ),
        GroupSeed(
            "jw_510800",
            "广元市纪委监委案件监督管理室",
            "Guangyuan Discipline Commission, case management office",
            "city",
            CITY,
            "discipline",
        ),
        GroupSeed(
            "jw_510822",
            "青川县纪委监委案件监督管理室",
            "Qingchuan Discipline Commission, case management office",
            "county",
            "510822",
            "discipline",
        ),
        GroupSeed(
            "ga_510800", "广元市公安局", "Guangyuan Public Security Bureau", "city", CITY, "police"
        ),
        GroupSeed(
            "ga_510821",
            "旺苍县公安局",
            "Wangcang Public Security Bureau",
            "county",
            "510821",
            "police",
        ),
        GroupSeed(
            "jcy_510800",
            "广元市人民检察院",
            "Guangyuan Procuratorate",
            "city",
            CITY,
            "procuratorate",
        ),
        GroupSeed(
            "jcy_510821",
            "旺苍县人民检察院",
            "Wangcang Procuratorate",
            "county",
            "510821",
            "procuratorate",
        ),
        GroupSeed(
            "zf_510800",
            "广元市人民政府",
            "Guangyuan Municipal Government",
            "city",
            CITY,
            "government",
        ),
        GroupSeed(
            "zfb_510800",
            "广元市人民政府办公室",
            "Guangyuan Government General Office",
            "city",
            CITY,
            "government_office",
            "zf_510800",
            "广府",
        ),
        GroupSeed(
            "pg_510800_01",
            "川北法治评估研究中心（示例第三方评估机构）",
            "North Sichuan Rule-of-Law Evaluation Centre (fictional evaluator)",
            "city",
            CITY,
            "evaluator",
        ),
        GroupSeed(
            "tyjd_510800",
            "广元市特邀行政执法监督员",
            "Guangyuan special invited supervisors",
            "city",
            CITY,
            "invited_supervisor",
            "sfj_510800",
        ),
    ]
    return groups


def demo_users() -> list[UserSeed]:
    users = [
        UserSeed("hotline_operator", "12345话务员 刘敏", ("hotline_operator",), ("rx_510800",)),
        UserSeed("supervisor", "市监督科 张磊", ("supervisor",), ("jdk_510800",)),
        UserSeed("supervisor2", "市监督科 何静", ("supervisor",), ("jdk_510800",)),
        UserSeed(
            "section_chief",
            "市监督科科长 王建国",
            ("section_chief",),
            ("jdk_510800", "jdk_510800_chief"),
        ),
        UserSeed(
            "bureau_leader", "市司法局副局长 陈明", ("bureau_leader",), ("jdk_510800_leader",)
        ),
        UserSeed(
            "bureau_handler", "市市场监管局 承办人 李强", ("bureau_handler",), ("scjg_510800",)
        ),
        UserSeed(
            "bureau_head",
            "市市场监管局 负责人 赵刚",
            ("bureau_head",),
            ("scjg_510800", "scjg_510800_head"),
        ),
        UserSeed(
            "special_supervisor", "特邀监督员 周红", ("special_supervisor",), ("tyjd_510800",)
        ),
        UserSeed("evaluator", "评估员 孙立", ("evaluator",), ("pg_510800_01",)),
        UserSeed("liaison", "市纪委监委联络员 吴强", ("liaison",), ("jw_510800",)),
        UserSeed("psb_liaison", "市公安局联络员 郑伟", ("liaison",), ("ga_510800",)),
        UserSeed("gov_liaison", "市政府办公室联络员 冯丽", ("liaison",), ("zfb_510800",)),
        UserSeed("designer", "流程设计员 钱程", ("designer",), ()),
        UserSeed("admin", "系统管理员", ("admin",), ()),
    ]
    for region, (_name, short, _doc, prefix) in COUNTIES.items():
        users += [
            UserSeed(
                f"{prefix}_supervisor",
                f"{short}监督股 工作人员",
                ("supervisor",),
                (f"jdk_{region}",),
            ),
            UserSeed(
                f"{prefix}_section_chief",
                f"{short}监督股 股长",
                ("section_chief",),
                (f"jdk_{region}", f"jdk_{region}_chief"),
            ),
            UserSeed(
                f"{prefix}_bureau_leader",
                f"{short}司法局 分管局领导",
                ("bureau_leader",),
                (f"jdk_{region}_leader",),
            ),
        ]
    for unit, region, name, _en, prefix in COUNTY_BUREAUS:
        users += [
            UserSeed(
                f"{prefix}_bureau_handler",
                f"{name} 承办人",
                ("bureau_handler",),
                (f"{unit}_{region}",),
            ),
            UserSeed(
                f"{prefix}_bureau_head",
                f"{name} 负责人",
                ("bureau_head",),
                (f"{unit}_{region}", f"{unit}_{region}_head"),
            ),
        ]
    users += [
        # A 司法所 assists the county and sees only what is assigned to it (§1.4 rule 4):
        # it works tasks but has no regional reading right and cannot start cases.
        UserSeed("db_sfs", "东坝街道司法所 工作人员", ("bureau_handler",), ("sfs_510802001",)),
        UserSeed("wc_psb_liaison", "旺苍县公安局联络员", ("liaison",), ("ga_510821",)),
        UserSeed("qc_liaison", "青川县纪委监委联络员", ("liaison",), ("jw_510822",)),
    ]
    return users


def seed_demo(session: Session) -> str:
    """Create the demo organisation and users that are missing; return a summary table."""
    created_groups = 0
    for seed in demo_groups():
        if identity.get_group(session, seed.code) is not None:
            continue
        identity.create_group(
            session,
            seed.code,
            name=seed.name,
            name_en=seed.name_en,
            level=seed.level,
            region=seed.region,
            kind=seed.kind,
            parent=seed.parent,
            doc_code=seed.doc_code,
            actor="seed-demo",
        )
        created_groups += 1
    created_users = 0
    for seed in demo_users():
        if identity.get_user(session, seed.username) is not None:
            continue
        identity.create_user(
            session,
            seed.username,
            password=DEMO_PASSWORD,
            display_name=seed.display_name,
            roles=seed.roles,
            groups=seed.groups,
            actor="seed-demo",
        )
        created_users += 1
    return summary(created_groups, created_users)


def user_table() -> str:
    """The demo users as a Markdown table (also in docs/designer-guide.md)."""
    lines = ["| 用户名 | 姓名/岗位 | 角色 | 所在组 |", "|---|---|---|---|"]
    for seed in demo_users():
        lines.append(
            f"| `{seed.username}` | {seed.display_name} | {', '.join(seed.roles)} | "
            f"{', '.join(f'`{g}`' for g in seed.groups) or '—'} |"
        )
    return "\n".join(lines)


def summary(created_groups: int, created_users: int) -> str:
    return (
        f"demo organisation: {created_groups} group(s) and {created_users} user(s) added "
        f"({len(demo_groups())} groups, {len(demo_users())} users in total)\n"
        f"demo password for every user: {DEMO_PASSWORD}\n\n{user_table()}"
    )
