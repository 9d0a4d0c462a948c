"""Does a question ask for a detail (a figure, a date, a procedure, a person) that the matched text lacks?

A work plan names tasks; it rarely gives quotas, scores, fees, dates of events, application steps or
names of officials. A question about a topic the plan mentions, but asking for such a detail, should be
answered "the plan doesn't say" — while a question whose detail *is* in the passage ("每季度", "2.0",
"首届") is answered. These rules look only at the question's form and at the matched passage, never at
particular topics, so they apply to any plan.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Iterable


class Ask(Enum):
    """The kind of detail a question asks for."""

    NONE = "none"
    QUANTITY = "quantity"  # 多少, 几个, 比例, 分数线, 名额 …
    DATE = "date"  # 哪天, 几月几号, 具体时间 …
    PROCEDURE = "procedure"  # 怎么报名, 流程, 手续, 条件, 联系方式 …
    PERSON = "person"  # 是谁, 叫什么名字
    MONEY = "money"  # 多少钱, 学费多少, 价格: an amount of money
    NAMES = "names"  # 哪几所, 哪些学校, 哪个旗县: a list of named schools or places


_ASKS: tuple[tuple[Ask, re.Pattern[str]], ...] = (
    # "When" in general is answered by an annual plan itself (this year); a day is a detail, and so is
    # the year a longer programme ends (到哪年, 哪年结束).
    (Ask.DATE, re.compile(r"哪[一]?天|几月|几号|日期|截止(?:日期|时间)|时间安排|具体时间|"
                          r"到哪一?年(?!级)|哪一?年(?:结束|截止|到期|完成)")),
    (Ask.PERSON, re.compile(r"是谁|找谁|问谁|叫什么名字|哪位领导|负责人是")),
    (Ask.MONEY, re.compile(r"多少(?:钱|元|奖金|补助|补贴|工资|薪水|经费|资金)|几[块万千百]钱|"
                           r"[费钱价]多少|(?:奖金|补助|补贴|工资|薪水)[^，。？！?!,]{0,4}?多少(?![个所名人项家条次种位])|"
                           r"收费标准|价格|多贵")),
    # 怎么办 and 如何办好 ask what will be done, not how to apply: only application verbs count, and
    # only a place question (去哪, 在哪个网站) may have words between it and the verb.
    (Ask.PROCEDURE, re.compile(r"(?:怎么|如何|怎样)(?:报名|申请|办理|办证|报考|缴费|领取|查询|登记)|"
                               r"(?:去哪|在哪)(?:个|里|儿)?\w{0,4}?(?:报名|申请|办理|办证|办|报考|缴费|领取|查询|登记)|"
                               r"报名(?:时间|方式|入口|条件)|流程|手续|(?:满足|符合|具备)?哪些条件|[什啥]么?条件|"
                               r"要啥|[什啥]么?材料|哪些材料|联系方式|电话|地址|网址|网站|链接|入口|"
                               r"在哪(?:个|里)?(?:盟市|城市|地方)?举办|考哪几科|考什么|怎么设置|怎么弄")),
    (Ask.NAMES, re.compile(r"哪几?所|哪几?[个家些](?:学校|高校|大学|学院|中学|小学|幼儿园|旗县|盟市|地方|城市|省)")),
    # 几个 asks a number, but 十几个 / 二十几名 states one (an approximate figure the asker gives).
    (Ask.QUANTITY, re.compile(r"多少|(?<![哪这近前后一二两三四五六七八九十百千万0-9])几(?:个|所|名|人|家|年(?!级)|次|届|期|项|条|位|分|种|级|亿|万|成|倍|岁|节|门|科|篇)|"  # noqa: E501
                              r"百分之|比例|占比|师生比|生师比|分数线|录取线|复试线|名额|金额|数额|多大规模|几级")),
)

# The same asks in English (the question is lower-cased). "When" alone is not a date here either.
_ASKS_EN: tuple[tuple[Ask, re.Pattern[str]], ...] = (
    (Ask.DATE, re.compile(r"\b(?:what|which|exact) (?:date|day)s?\b|\bdeadline|\bdates? (?:of|for)\b|"
                          r"\b(?:test|exam|examination|holiday|registration) dates?\b|\bwhat time\b")),
    (Ask.PERSON, re.compile(r"\bwho (?:is|are|was|'s)\b|\bwho's\b|\bwhom\b|\bwho (?:should|do|can) i\b|"
                            r"\bname of the (?:head|director|minister|principal|president|official)")),
    (Ask.MONEY, re.compile(r"\bhow much (?:money|does (?:it|\w+) cost|is the (?:fee|tuition|salary|price)|"
                           r"(?:do|does|will) \w+ (?:earn|get paid|pay|cost))|\btuition\b|\bfees?\b|\bsalar(?:y|ies)\b|"
                           r"\bprices?\b|\bcost of\b")),
    # As in Chinese, only application verbs: "how can I help my child's eyesight" asks what is done.
    (Ask.PROCEDURE, re.compile(r"\bhow (?:do|can|should|could) (?:i|we|you|my \w+|parents|students|teachers) "
                               r"(?:apply|register|sign up|enrol|enroll|obtain|submit|book|contact|fill|renew|pay)\b|"
                               r"\bhow to (?:apply|register|sign up|enrol|enroll|renew|fill|submit|book|obtain)\b|"
                               r"\bapplication (?:form|process|procedure)|\brequirements? (?:for|to)\b|"
                               r"\bwhat documents\b|\bphone number|\bemail address|\bwebsite\b|\bwhere (?:can|do) i\b")),
    (Ask.NAMES, re.compile(r"\bwhich (?:schools|universities|colleges|counties|cities|provinces|leagues)\b")),
    (Ask.QUANTITY, re.compile(r"\bhow many\b|\bhow much\b|\bwhat (?:percentage|proportion|share|ratio)\b|"
                              r"\bcut-?off\b|\b(?:admission|passing|minimum) (?:score|mark)s?\b|\bquotas?\b")),
)
# In English: a clause that opens with an auxiliary ("… so high - is anyone regulating them?"), or a
# choice ("the headmaster or the party secretary?").
_YES_NO_EN = re.compile(r"(?:^|[-–,;.!?]\s*)(?:is|are|will|does|do|can|could|has|have|should|did|would|was|were|"
                        r"any|anything)\b|\bor (?:the|a|an)\b")

# A yes/no question ("will they re-plan the schools, and how many?") or a choice between two courses
# ("是…还是…") is answered by the plan stating the task, even when it also asks for a detail.
_YES_NO = re.compile(r"是.{1,12}还是|会不会|有没有|是否|要不要|能不能|是不是|[管抓搞建办]不[管抓搞建办]|还.{0,8}吗|吗[？?。！!]*$")  # noqa: E501

_NUMBER = r"(?:[0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十百千万]+)"
# A figure that can answer a quantity question: a number with a unit, a percentage, a rate, an edition.
_QUANTITY = re.compile(
    rf"{_NUMBER}\s*(?:%|个|所|名|人|期|届|项|条|轮|次|万|亿|元|倍|分|百分点|门|科|级|岁|小时|课时|周年)|"
    rf"首届|每(?:年|季度|月|周|学期)|[0-9]+\.[0-9]+|[+＋]"
)
_MONEY = re.compile(rf"{_NUMBER}\s*(?:元|万元|亿元|块)")
# A named institution or place that can answer "which schools / which leagues": 内蒙古大学, 包头医学院.
_NAMED = re.compile(r"[\u4e00-\u9fff]{2,8}(?:大学|学院|师范|医学院)(?![生者])|[\u4e00-\u9fff]{2,4}(?:盟|市|旗|县)(?![域级])")
_DATE = re.compile(rf"{_NUMBER}\s*(?:年|月|日|号)|每(?:年|季度|月|周)|年底|年内|上半年|下半年|春季|秋季")


_WHEN = re.compile(r"什么时候|啥时候|何时|几时")


def asked_detail(question: str, *, when_is_a_date: bool = False) -> Ask:
    """Which kind of detail the (normalised) question asks for, if any (none for yes/no questions).
    With `when_is_a_date`, "when" counts as a date (about a school the plan does not name, the plan's
    own year does not answer it)."""
    if _YES_NO.search(question) or _YES_NO_EN.search(question):
        return Ask.NONE
    for ask, pattern in (*_ASKS, *_ASKS_EN):
        if pattern.search(question):
            return ask
    if when_is_a_date and _WHEN.search(question):
        return Ask.DATE
    return Ask.NONE


_SCHOOL_WORD = r"(?:(?:大学|学院|(?<!中)小学|中学(?!小)|附中|(?<![初高统])[一二三四五六七八九十]中(?![学考]))(?!生)|幼儿园|实验学校)"  # noqa: E501
# Characters and words that make "内蒙古的中小学", "呼市公办幼儿园", "内蒙古乡村小学" a kind of school, not one.
_NOT_A_NAME = (r"(?![的哪些个上在里和所各与及或等]|公办|民办|普通|全区|全市|乡村|农村|城镇|城区|牧区|县域|寄宿|民族|蒙古族|"
               r"新建|示范|重点|地区|市属|区属|各级|级)")


def school_name_pattern(places: Iterable[str]) -> re.Pattern[str]:
    """Names of particular schools: a place, up to six more characters, a school word (内蒙古师范大学,
    呼市二中, 包头市第九中学)."""
    alternatives = "|".join(re.escape(p) for p in sorted(set(places), key=len, reverse=True))
    return re.compile(rf"(?:{alternatives})(?:{_NOT_A_NAME}[\u4e00-\u9fff]){{0,6}}?{_SCHOOL_WORD}")


def asks_about_unnamed_school(question: str, pattern: re.Pattern[str], plan_text: str) -> bool:
    """True when the question names a particular school the plan never names and asks a detail of it
    (a figure, a date, "when", a procedure …): the plan's figures and dates are not about that school."""
    named = [m.group() for m in pattern.finditer(question)]
    return any(n not in plan_text for n in named) and asked_detail(question, when_is_a_date=True) is not Ask.NONE


def detail_missing(question: str, passage_text: str) -> bool:
    """True when the question asks for a detail and the matched passage has nothing of that kind."""
    ask = asked_detail(question)
    if ask is Ask.QUANTITY:
        # Years (2021年, 2018-2022年) are dates, not the counts and amounts asked for.
        return not _QUANTITY.search(re.sub(r"[0-9]{4}(?:-[0-9]{4})?年", "", passage_text))
    if ask is Ask.DATE:
        return not _DATE.search(passage_text)
    if ask is Ask.MONEY:
        return not _MONEY.search(passage_text)
    if ask is Ask.NAMES:
        return not _NAMED.search(passage_text)
    if ask in (Ask.PROCEDURE, Ask.PERSON):
        return True  # a work plan states tasks, not application steps or who holds which office
    return False
