"""Name pools for the synthetic county. Every name is invented; none is meant to be a real place
or person, and every phone number has the 0000 middle block that no carrier issues."""

from __future__ import annotations

import numpy as np

COUNTY_NAME = "清源县"

TOWNSHIP_NAMES = (
    "青山镇",
    "白沙镇",
    "石桥镇",
    "龙泉镇",
    "桃源镇",
    "黄土岭乡",
    "柳溪乡",
    "清水镇",
    "凤凰镇",
    "双河镇",
    "梅岭乡",
    "金竹镇",
    "云台乡",
    "长乐镇",
)
STREET_NAMES = ("城关街道", "东城街道", "西城街道", "南湖街道", "北门街道", "江滨街道")

VILLAGE_FIRST = (
    "大",
    "小",
    "上",
    "下",
    "东",
    "西",
    "南",
    "北",
    "前",
    "后",
    "新",
    "老",
    "高",
    "中",
    "马",
    "石",
    "杨",
    "柳",
    "桃",
    "竹",
    "枫",
    "梅",
    "花",
    "沙",
    "塘",
    "岭",
    "溪",
    "泉",
    "金",
    "银",
)
VILLAGE_SECOND = (
    "王庄",
    "李家",
    "山坪",
    "坑口",
    "河湾",
    "坝头",
    "桥头",
    "坳",
    "湾",
    "垄",
    "田",
    "岗",
    "铺",
    "店",
    "冲",
    "源",
    "坑",
    "塘",
    "林",
    "坪",
)
COMMUNITY_FIRST = (
    "幸福",
    "和平",
    "文昌",
    "建设",
    "滨江",
    "锦绣",
    "人民",
    "解放",
    "新华",
    "光明",
    "朝阳",
    "育才",
    "春晖",
    "紫荆",
    "丰收",
    "振兴",
    "阳光",
    "学府",
    "康乐",
    "金桂",
    "翠竹",
    "望江",
    "凤鸣",
    "湖畔",
    "玉泉",
    "青年",
    "红星",
    "东风",
    "长安",
    "兴隆",
)

SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
)
# Rough weights: the commonest surnames dominate, as they do in any county.
SURNAME_WEIGHTS = np.linspace(3.0, 1.0, len(SURNAMES))
GIVEN_CHARS_MALE = tuple("伟强军磊勇杰涛明超刚平辉建国华峰鹏斌志文海波宇浩林")
GIVEN_CHARS_FEMALE = tuple("芳娜敏静丽艳娟霞秀英玲红梅燕萍兰琴云莉婷雪慧洁颖")

ORDINALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

COUNTY_UNITS = (
    ("office", "县委办公室"),
    ("office", "县政府办公室"),
    ("office", "县财政局"),
    ("office", "县教育局"),
    ("office", "县卫生健康局"),
    ("office", "县自然资源和规划局"),
    ("office", "县住房和城乡建设局"),
    ("office", "县农业农村局"),
    ("school", "县第一中学"),
    ("school", "县实验小学"),
    ("school", "县职业技术学校"),
    ("hospital", "县人民医院"),
    ("hospital", "县中医医院"),
    ("state_enterprise", "县城市建设投资集团有限公司"),
    ("state_enterprise", "县水务有限公司"),
    ("state_enterprise", "县交通投资有限公司"),
)
PRIVATE_ENTERPRISE_TRADES = (
    "竹木制品有限公司",
    "茶业有限公司",
    "农业开发有限公司",
    "建材有限公司",
    "食品有限公司",
    "电子科技有限公司",
    "纺织有限公司",
    "物流有限公司",
)


def village_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct village names, e.g. 上王庄村."""
    pairs = [f + s for f in VILLAGE_FIRST for s in VILLAGE_SECOND]
    order = rng.permutation(len(pairs))[:n]
    return [pairs[i] + "村" for i in order]


def community_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct community names, e.g. 幸福社区 (two-word names once the pool runs out)."""
    singles = list(COMMUNITY_FIRST)
    pool = singles + [a + b[:1] + "苑" for a in singles for b in singles if a != b]
    order = rng.permutation(len(singles))
    names = [singles[i] for i in order]
    if n > len(names):
        extra = rng.permutation(len(pool) - len(singles))[: n - len(names)]
        names += [pool[len(singles) + i] for i in extra]
    return [name + "社区" for name in names[:n]]


def person_names(rng: np.random.Generator, sexes: np.ndarray) -> list[str]:
    """One invented name per entry of `sexes` (values 男 / 女), surname plus one or two chars."""
    n = len(sexes)
    p = SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum()
    surnames = rng.choice(len(SURNAMES), size=n, p=p)
    two_chars = rng.random(n) < 0.7
    picks = rng.random((n, 2))
    names = []
    for i in range(n):
        chars = GIVEN_CHARS_MALE if sexes[i] == "男" else GIVEN_CHARS_FEMALE
        first, second = (picks[i] * len(chars)).astype(int)
        given = chars[first] + (chars[second] if two_chars[i] else "")
        names.append(SURNAMES[surnames[i]] + given)
    return names


def fake_phones(start: int, n: int) -> list[str]:
    """Numbers of the form 13x 0000 nnnn: the 0000 block marks them as invented."""
    return [f"13{(k // 10000) % 10} 0000 {k % 10000:04d}" for k in range(start, start + n)]
