"""The plan parser, specified on the shipped 2021 plan and on small hand-made plans."""

from __future__ import annotations

import re
from datetime import date

import pytest

from corpus import GOAL, MEASURES, PREAMBLE, Plan, PlanMeta, PlanParseError, load_plan, parse_plan
from corpus.load import PLANS_DIR, read_meta
from corpus.parse import MAX_PASSAGE_CHARS

REAL_TXT = PLANS_DIR / "nmg-edu-2021.txt"
REAL_SOURCE = REAL_TXT.name
NBSP = "\u00a0"

SECTIONS = {  # numeral: (title, item numbers)
    "一": ("加强党对教育工作的全面领导", range(1, 6)),
    "二": ("落实立德树人根本任务", range(6, 11)),
    "三": ("建设高质量教育体系", range(11, 19)),
    "四": ("推动教育改革与服务发展深度融合", range(19, 25)),
    "五": ("提升教师教书育人能力素质", range(25, 28)),
    "六": ("完善教育保障机制", range(28, 32)),
    "七": ("深化厅机关自身建设", range(32, 34)),
}
SECTION_OF = {n: numeral for numeral, (_, numbers) in SECTIONS.items() for n in numbers}

ITEM_TITLES = {
    1: "深入学习习近平新时代中国特色社会主义思想和党的十九届五中全会精神",
    2: "切实铸牢中华民族共同体意识",
    3: "全面加强教育系统基层党组织建设",
    4: "努力锻造高素质干部人才队伍",
    5: "驰而不息推动全面从严治党",
    6: "全面提升思想政治工作质量",
    7: "坚定不移推广国家通用语言文字",
    8: "加强教材建设使用",
    9: "全面发展素质教育",
    10: "着力解决群众关注的教育热点问题",
    11: "推动学前教育普惠发展",
    12: "推动义务教育城乡一体化发展",
    13: "推动普通高中多样特色发展",
    14: "推动职业教育融合发展",
    15: "推动高等教育提质创新发展",
    16: "推动民办教育规范发展",
    17: "提升特殊教育发展水平",
    18: "提高继续教育供给能力",
    19: "做好教育“十四五”规划编制工作",
    20: "提高教育规范管理水平",
    21: "扎实推进新时代教育评价改革",
    22: "深化考试招生制度改革",
    23: "推进教育督导体制机制改革",
    24: "推进高水平教育对外开放",
    25: "加强师德师风建设",
    26: "提升教师队伍整体素质",
    27: "深化教师管理综合改革",
    28: "完善教育经费保障机制",
    29: "全面推进依法治教",
    30: "积极推进教育信息化建设",
    31: "维护校园安全稳定",
    32: "深入开展机关“作风建设年”活动",
    33: "扎实做好组织建设和干部队伍建设",
}


@pytest.fixture(scope="module")
def raw() -> str:
    """The real plan file, as shipped."""
    return REAL_TXT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def real_meta() -> PlanMeta:
    return read_meta(REAL_TXT.with_suffix(".toml"))


@pytest.fixture(scope="module")
def plan() -> Plan:
    """The real plan, parsed from its file (not through the shipped_plans cache)."""
    return load_plan(REAL_TXT)


def all_texts(plan: Plan) -> list[str]:
    """Every piece of parsed content: titles, parts, passages, section titles."""
    texts = [s.title for s in plan.sections]
    for it in plan.all_items():
        texts += [it.title, it.section_title, it.goal, it.measures]
        texts += [p.text for p in it.passages]
    return texts


# --- the real plan: structure -------------------------------------------------------------------


def test_real_plan_has_seven_sections_一_to_七_with_their_titles(plan):
    assert [(s.number, s.numeral, s.title) for s in plan.sections] == [
        (i, numeral, title) for i, (numeral, (title, _)) in enumerate(SECTIONS.items(), start=1)
    ]
    assert plan.section(3).heading == "三、建设高质量教育体系"


def test_each_section_lists_its_items_in_order(plan):
    assert {s.numeral: s.items for s in plan.sections} == {
        numeral: tuple(numbers) for numeral, (_, numbers) in SECTIONS.items()
    }


def test_items_are_numbered_1_to_33_in_order_with_their_exact_titles(plan):
    assert [(it.number, it.title) for it in plan.items] == list(ITEM_TITLES.items())
    assert plan.item_range == (1, 33)


@pytest.mark.parametrize("number", list(ITEM_TITLES))
def test_item_sits_in_its_section(plan, number):
    item = plan.item(number)
    numeral = SECTION_OF[number]
    assert (item.section, item.section_title) == (numeral, SECTIONS[numeral][0])


def test_items_11_to_18_are_in_section_三(plan):
    assert plan.section(3).items == tuple(range(11, 19))
    assert {plan.item(n).section for n in range(11, 19)} == {"三"}
    assert plan.item(10).section == "二" and plan.item(19).section == "四"


def test_every_item_has_a_nonempty_goal_and_measures(plan):
    for it in plan.items:
        assert it.goal.strip(), it.ref
        assert it.measures.strip(), it.ref
        assert it.part_passages(GOAL) and it.part_passages(MEASURES), it.ref


def test_measures_label_is_主要措施_for_items_1_to_3_and_工作措施_otherwise(plan):
    labels = {it.number: it.measures_label for it in plan.items}
    assert labels == {n: "主要措施" if n <= 3 else "工作措施" for n in range(1, 34)}


def test_item_ref_is_section_heading_then_numbered_title(plan):
    assert plan.item(15).ref == "三、建设高质量教育体系 › 15. 推动高等教育提质创新发展"
    assert plan.item(1).ref == (
        "一、加强党对教育工作的全面领导 › 1. 深入学习习近平新时代中国特色社会主义思想和党的十九届五中全会精神"
    )
    for it in plan.items:
        assert it.ref == f"{SECTION_OF[it.number]}、{SECTIONS[SECTION_OF[it.number]][0]} › {it.number}. {ITEM_TITLES[it.number]}"


def test_plan_lookups_by_number(plan):
    assert plan.item(0) is plan.preamble
    assert plan.item(26).title == "提升教师队伍整体素质"
    assert plan.section(7).numeral == "七"
    with pytest.raises(KeyError):
        plan.item(34)
    with pytest.raises(KeyError):
        plan.section(8)


def test_every_object_carries_the_plan_id_from_the_metadata(plan, real_meta):
    assert plan.id == real_meta.id == "nmg-edu-2021"
    assert plan.meta == real_meta
    assert {s.plan for s in plan.sections} == {it.plan for it in plan.all_items()} == {"nmg-edu-2021"}
    assert {p.plan for p in plan.passages()} == {"nmg-edu-2021"}


# --- the real plan: traps in the text --------------------------------------------------------------


def test_section_headings_indented_with_no_break_spaces_parse(plan, raw):
    indented = [line for line in raw.splitlines() if line.startswith(NBSP) and "、" in line[:8]]
    numerals = [line.strip(" " + NBSP)[0] for line in indented]
    assert numerals == ["一", "二", "七"], "the shipped text should still contain the NBSP-indented headings"
    for numeral in numerals:
        section = next(s for s in plan.sections if s.numeral == numeral)
        assert section.title == SECTIONS[numeral][0]
        assert NBSP not in section.title and not section.title.startswith(" ")


def test_item_number_followed_by_a_space_parses_with_the_exact_title(plan, raw):
    assert "\n26. 提升教师队伍整体素质\n" in raw
    assert plan.item(26).title == "提升教师队伍整体素质"
    assert plan.item(26).ref == "五、提升教师教书育人能力素质 › 26. 提升教师队伍整体素质"
    assert "\n31. 维护校园安全稳定\n" in raw
    assert plan.item(31).title == "维护校园安全稳定"


def test_labels_written_with_a_half_width_colon_are_recognised(plan, raw):
    for label in ("目标任务:", "主要措施:", "工作措施:"):
        assert f"\n{label}" in raw
    # "目标任务: 落实…" (colon then space) in item 3: neither the label nor the space leaks into the text.
    assert "\n目标任务: 落实质量建党要求" in raw
    assert plan.item(3).goal.startswith("落实质量建党要求，")
    for it in plan.items:
        for label in ("目标任务", "主要措施", "工作措施"):
            assert not it.goal.startswith(label) and not it.measures.startswith(label), it.ref


def test_half_width_commas_and_colons_become_full_width_in_the_text(plan, raw):
    assert "100周年,是" in raw and "总体要求:以" in raw
    assert plan.preamble.passages[0].text.startswith("2021年是中国共产党建党100周年，是“十四五”规划开局之年，")
    assert plan.preamble.passages[1].text.startswith("全区教育工作总体要求：以习近平")
    for text in all_texts(plan):
        assert "," not in text and ":" not in text and NBSP not in text, text


def test_目标任务_inside_item_19_measures_does_not_start_a_new_part(plan, raw):
    measures_line = next(line for line in raw.splitlines() if line.startswith("工作措施:编制印发"))
    assert "推动目标任务落实落地" in measures_line
    item = plan.item(19)
    assert item.goal == "坚持目标导向、需求导向、问题导向，编制讲政治、高水平、能实施、可测量的高质量规划。"
    assert item.measures.startswith("编制印发《自治区教育事业发展“十四五”规划》，制定分工方案，推动目标任务落实落地。")
    assert item.measures.endswith("指导直属高校编制好“十四五”规划。")
    assert item.part_passages(MEASURES)[0].text.endswith("推动目标任务落实落地。")
    assert plan.item(20).goal == "狠抓规范管理，不断提升教育治理水平。"


@pytest.mark.parametrize(
    "boilerplate",
    ["当前位置", "部门首页", ">>", "政策法规", "发布时间", "10:19", "浏览次数", "来源", "2021-02-26", "内蒙古教育发布",
     "内蒙古自治区党委高校工委、内蒙古自治区教育厅2021年工作要点"],
)
def test_page_boilerplate_is_not_content_anywhere(plan, raw, boilerplate):
    assert boilerplate in raw
    assert boilerplate not in plan.preamble.goal
    for text in all_texts(plan):
        assert boilerplate not in text, text


def test_dated_source_line_is_not_an_item(plan, raw):
    assert re.search(r"^2021-02-26 .*来源", raw, re.M)
    assert [it.number for it in plan.items] == list(range(1, 34))
    assert not any("来源" in it.title or "2021" in it.title for it in plan.items)


# --- the real plan: preamble --------------------------------------------------------------------


def test_preamble_is_item_0_with_part_总体要求(plan):
    pre = plan.preamble
    assert pre.number == 0 and pre.is_preamble
    assert pre.title == PREAMBLE == "总体要求"
    assert pre.ref == "总体要求"
    assert pre.section == ""
    assert pre.measures == ""
    assert {(p.item, p.part) for p in pre.passages} == {(0, PREAMBLE)}
    assert plan.all_items()[0] is pre


def test_preamble_holds_the_two_opening_paragraphs(plan):
    texts = [p.text for p in plan.preamble.passages]
    assert texts[0] == (
        "2021年是中国共产党建党100周年，是“十四五”规划开局之年，"
        "也是全面建成小康社会、开启全面建设社会主义现代化国家新征程的关键之年。"
    )
    second = "".join(texts[1:])
    assert second.startswith("全区教育工作总体要求：以习近平新时代中国特色社会主义思想为指导，")
    assert second.endswith("写好全面建设社会主义现代化国家新征程的教育篇章，以优异成绩迎接建党100周年。")
    assert plan.preamble.goal == texts[0] + second


def test_a_sentence_longer_than_the_limit_is_cut_after_commas_into_shorter_passages(plan):
    """The 300-character 总体要求 sentence lists many tasks; each group of clauses is a passage."""
    rest = plan.preamble.passages[1:]
    assert len(rest) > 1
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in rest)
    assert all(p.text.endswith(("，", "。")) for p in rest)
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in plan.passages())


# --- the real plan: passages --------------------------------------------------------------------


def test_every_passage_knows_its_plan_item_part_and_position(plan):
    for it in plan.all_items():
        parts = (PREAMBLE,) if it.is_preamble else (GOAL, MEASURES)
        assert {p.part for p in it.passages} == set(parts), it.ref
        for part in parts:
            passages = it.part_passages(part)
            assert [p.position for p in passages] == list(range(len(passages))), (it.ref, part)
            for p in passages:
                assert (p.plan, p.item, p.part) == (plan.id, it.number, part)


def test_an_items_passages_are_its_goal_then_its_measures(plan):
    for it in plan.items:
        assert it.passages == it.part_passages(GOAL) + it.part_passages(MEASURES), it.ref


def test_joining_the_passages_of_a_part_gives_back_the_part_text(plan):
    for it in plan.items:
        assert "".join(p.text for p in it.part_passages(GOAL)) == it.goal, it.ref
        assert "".join(p.text for p in it.part_passages(MEASURES)) == it.measures, it.ref
    assert "".join(p.text for p in plan.preamble.part_passages(PREAMBLE)) == plan.preamble.goal


def test_plan_passages_are_the_preamble_then_the_items_in_order(plan):
    expected = [p for it in (plan.preamble, *plan.items) for p in it.passages]
    assert list(plan.passages()) == expected
    assert plan.passages()[0].item == 0 and plan.passages()[-1].item == 33


def test_a_sentence_of_the_measures_is_its_own_passage(plan):
    measures = plan.item(31).part_passages(MEASURES)
    assert measures[0].text == "常态化开展安全教育和风险隐患排查。"
    assert measures[1].text == "推进平安校园建设。"
    assert measures[1].position == 1


def test_passages_are_non_empty_single_sentences(plan):
    for p in plan.passages():
        assert p.text and p.text == p.text.strip(), p
        assert not re.search(r"[。；！？].", p.text), p  # sentence punctuation only at the end


# --- hand-made plans --------------------------------------------------------------------------------

META = PlanMeta(
    id="test-plan", title="测试局2022年工作要点", short_title="测试", issuers=("测试局",),
    year=2022, published=date(2022, 1, 5), source="测试",
)


def item_lines(number: int, title: str, goal: str | None = "做好工作。", measures: str | None = "开展检查。推进建设。",
               label: str = "工作措施", sep: str = ".") -> list[str]:
    lines = [f"{number}{sep}{title}", ""]
    if goal is not None:
        lines += [f"目标任务:{goal}", ""]
    if measures is not None:
        lines += [f"{label}:{measures}", ""]
    return lines


def mini_plan(*items: list[str], header: list[str] | None = None) -> list[str]:
    """A small plan: boilerplate, a preamble, section 一 holding the given items."""
    if header is None:
        header = [
            "当前位置: 首页 >> 政策法规 >> 正文",
            META.title,
            "2022-01-05 \u00a0 来源:测试局",
            "",
            "\u00a0 \u00a02022年是关键之年,要做好工作。",
            "",
            "\u00a0 \u00a0一、第一部分",
            "",
        ]
    return header + [line for it in items for line in it]


def parse_lines(lines: list[str], source: str = "mini.txt") -> Plan:
    return parse_plan("\n".join(lines), META, source=source)


def line_of(lines: list[str], text: str, occurrence: int = 1) -> int:
    """1-based number of the n-th line equal to text."""
    hits = [i for i, line in enumerate(lines, start=1) if line == text]
    return hits[occurrence - 1]


def test_a_minimal_plan_parses():
    plan = parse_lines(mini_plan(item_lines(1, "甲"), item_lines(2, "乙")))
    assert plan.id == "test-plan"
    assert [p.text for p in plan.preamble.passages] == ["2022年是关键之年，要做好工作。"]
    assert [(s.numeral, s.title, s.items) for s in plan.sections] == [("一", "第一部分", (1, 2))]
    assert [(it.number, it.title, it.goal, it.measures) for it in plan.items] == [
        (1, "甲", "做好工作。", "开展检查。推进建设。"),
        (2, "乙", "做好工作。", "开展检查。推进建设。"),
    ]


@pytest.mark.parametrize("indent", ["\u00a0\u00a0", "\u00a0 \u00a0 ", "\u3000\u3000", " \t"])
def test_indented_section_and_item_headings_parse(indent):
    lines = mini_plan(
        [indent + line if line else line for line in item_lines(1, "甲")],
        [indent + "二、第二部分"],
        item_lines(2, "乙"),
    )
    plan = parse_lines(lines)
    assert [(s.numeral, s.title, s.items) for s in plan.sections] == [("一", "第一部分", (1,)), ("二", "第二部分", (2,))]
    assert plan.item(1).title == "甲" and plan.item(1).goal == "做好工作。"


@pytest.mark.parametrize("sep", [".", ". ", "．", "、", "、 "])
def test_item_number_may_be_followed_by_any_dot_and_a_space(sep):
    plan = parse_lines(mini_plan(item_lines(1, "提升教师队伍整体素质", sep=sep)))
    assert plan.item(1).title == "提升教师队伍整体素质"


def test_a_part_may_span_several_lines_and_the_label_may_stand_alone():
    lines = mini_plan(["1.甲", "目标任务:", "第一句。", "第二句,接着写。", "主要措施:开展检查。", "推进建设。"])
    item = parse_lines(lines).item(1)
    assert item.goal == "第一句。第二句，接着写。"
    assert [p.text for p in item.part_passages(GOAL)] == ["第一句。", "第二句，接着写。"]
    assert item.measures == "开展检查。推进建设。"
    assert item.measures_label == "主要措施"


def test_a_line_that_merely_starts_with_目标任务_continues_the_part():
    lines = mini_plan(["1.甲", "目标任务:做好工作。", "工作措施:开展检查。", "目标任务落实到位。"])
    item = parse_lines(lines).item(1)
    assert item.goal == "做好工作。"
    assert item.measures == "开展检查。目标任务落实到位。"


def test_no_break_and_ideographic_spaces_inside_text_become_plain_spaces():
    item = parse_lines(mini_plan(item_lines(1, "甲", goal="三科统编教材\u00a0全面加强。", measures="开展\u3000\u3000检查。"))).item(1)  # noqa: E501
    assert item.goal == "三科统编教材 全面加强。"
    assert item.measures == "开展 检查。"


def test_semicolons_split_passages_and_are_made_full_width():
    item = parse_lines(mini_plan(item_lines(1, "甲", measures="制定计划;每月学习1次。"))).item(1)
    assert [p.text for p in item.part_passages(MEASURES)] == ["制定计划；", "每月学习1次。"]


def test_boilerplate_and_title_lines_before_the_preamble_are_dropped():
    plan = parse_lines(mini_plan(item_lines(1, "甲")))
    assert plan.preamble.goal == "2022年是关键之年，要做好工作。"
    assert all("来源" not in t and "当前位置" not in t and META.title not in t for t in all_texts(plan))


# --- malformed plans ------------------------------------------------------------------------------


def assert_error_names_line(err: pytest.ExceptionInfo[PlanParseError], line: int, source: str = "mini.txt") -> None:
    assert err.value.line == line
    assert err.value.source == source
    assert str(err.value).startswith(f"{source}:{line}: ")


def test_a_missing_item_number_fails_naming_the_line_of_the_next_item():
    lines = mini_plan(item_lines(1, "甲"), item_lines(2, "乙"), item_lines(4, "丁"))
    with pytest.raises(PlanParseError, match="item 3 is missing") as err:
        parse_lines(lines)
    assert_error_names_line(err, line_of(lines, "4.丁"))


def test_a_plan_whose_items_do_not_start_at_1_fails():
    lines = mini_plan(item_lines(2, "乙"))
    with pytest.raises(PlanParseError, match="item 1 is missing") as err:
        parse_lines(lines)
    assert_error_names_line(err, line_of(lines, "2.乙"))


def test_a_duplicated_item_number_fails_naming_the_second_occurrence():
    lines = mini_plan(item_lines(1, "甲"), item_lines(2, "乙"), item_lines(2, "丙"))
    with pytest.raises(PlanParseError, match="item 2 is duplicated") as err:
        parse_lines(lines)
    assert_error_names_line(err, line_of(lines, "2.丙"))
    assert f"first at line {line_of(lines, '2.乙')}" in str(err.value)


def test_an_item_with_no_目标任务_fails_naming_the_item():
    lines = mini_plan(item_lines(1, "甲"), item_lines(2, "乙", goal=None), item_lines(3, "丙"))
    with pytest.raises(PlanParseError, match="item 2 .*has no 目标任务") as err:
        parse_lines(lines)
    assert_error_names_line(err, line_of(lines, "2.乙"))


def test_text_before_目标任务_fails_naming_that_line():
    lines = mini_plan(item_lines(1, "甲"), ["2.乙", "这里缺少标签。", "工作措施:开展检查。"])
    with pytest.raises(PlanParseError, match="item 2: text before 目标任务") as err:
        parse_lines(lines)
    assert_error_names_line(err, line_of(lines, "这里缺少标签。"))


@pytest.mark.parametrize("measures", [None, ""], ids=["no-label", "empty-label"])
def test_an_item_with_no_measures_fails_naming_the_item(measures):
    lines = mini_plan(item_lines(1, "甲"), item_lines(2, "乙", measures=measures), item_lines(3, "丙"))
    with pytest.raises(PlanParseError, match="item 2 .*has no 工作措施/主要措施") as err:
        parse_lines(lines)
    assert_error_names_line(err, line_of(lines, "2.乙"))


def test_an_item_with_two_目标任务_fails_naming_the_second():
    lines = mini_plan(["1.甲", "目标任务:做好工作。", "目标任务:再做一次。", "工作措施:开展检查。"])
    with pytest.raises(PlanParseError, match="second 目标任务") as err:
        parse_lines(lines)
    assert_error_names_line(err, line_of(lines, "目标任务:再做一次。"))


def test_an_item_before_any_section_fails():
    lines = ["\u00a02022年是关键之年。", *item_lines(1, "甲")]
    with pytest.raises(PlanParseError, match="before any section") as err:
        parse_lines(lines)
    assert_error_names_line(err, 2)


def test_a_section_without_items_fails():
    lines = mini_plan(item_lines(1, "甲"), ["二、空的部分"], ["三、第三部分"], item_lines(2, "乙"))
    with pytest.raises(PlanParseError, match="section 二 has no items") as err:
        parse_lines(lines)
    assert_error_names_line(err, line_of(lines, "二、空的部分"))


def test_a_text_without_items_fails():
    with pytest.raises(PlanParseError, match="no numbered items"):
        parse_lines(mini_plan())


def test_the_source_defaults_to_a_placeholder():
    with pytest.raises(PlanParseError) as err:
        parse_plan("\n".join(mini_plan(item_lines(2, "乙"))), META)
    assert str(err.value).startswith("<plan>:")


def test_a_missing_item_in_the_real_plan_names_its_file_and_line(raw, real_meta):
    broken = raw.replace("\n3.全面加强教育系统基层党组织建设\n", "\n4.全面加强教育系统基层党组织建设\n")
    assert broken != raw
    with pytest.raises(PlanParseError, match="item 3 is missing") as err:
        parse_plan(broken, real_meta, source=REAL_SOURCE)
    assert_error_names_line(err, 28, REAL_SOURCE)


def test_a_duplicated_item_in_the_real_plan_names_its_file_and_line(raw, real_meta):
    broken = raw.replace("\n4.努力锻造高素质干部人才队伍\n", "\n3.努力锻造高素质干部人才队伍\n")
    assert broken != raw
    with pytest.raises(PlanParseError, match=r"item 3 is duplicated \(first at line 28\)") as err:
        parse_plan(broken, real_meta, source=REAL_SOURCE)
    assert_error_names_line(err, 34, REAL_SOURCE)


def test_an_item_of_the_real_plan_without_measures_names_its_file_and_line(raw, real_meta):
    lines = raw.splitlines()
    assert lines[209].startswith("工作措施:常态化开展安全教育")  # line 210: item 31's measures
    broken = "\n".join(lines[:209] + lines[210:])
    with pytest.raises(PlanParseError, match="item 31 .*has no") as err:
        parse_plan(broken, real_meta, source=REAL_SOURCE)
    assert_error_names_line(err, 206, REAL_SOURCE)
