"""Search on the shipped 2021 plan: the item a question is about comes first, whatever the wording
(typos, traditional characters, everyday words, rambling voice input, roles, English mixed in); every hit
is consistent with the plan text; questions the plan does not answer are answered "not found"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus import GOAL, MEASURES, PREAMBLE
from index import Answer, Index
from index.search import MAX_QUERY_CHARS

PLAN_TXT = Path(__file__).resolve().parents[1] / "corpus" / "plans" / "nmg-edu-2021.txt"


def plan_outline() -> dict[int, tuple[str, str, str]]:
    """item number → (section numeral, section title, item title), read straight from the plan text."""
    out, numeral, section_title = {}, "", ""
    for line in PLAN_TXT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if m := re.fullmatch(r"([一二三四五六七])、(.+)", line):
            numeral, section_title = m.groups()
        elif m := re.fullmatch(r"(\d{1,2})\.\s*(.+)", line):
            out[int(m.group(1))] = (numeral, section_title, m.group(2))
    return out


OUTLINE = plan_outline()


def top(index: Index, query: str, k: int = 3) -> list[int]:
    return [h.item.number for h in index.search(query, k=k).hits]


def unmarked(text: str) -> str:
    return text.replace("【", "").replace("】", "")


def test_the_outline_read_from_the_text_has_33_items() -> None:
    assert sorted(OUTLINE) == list(range(1, 34))


# ---------------------------------------------------------------- finding the item


@pytest.mark.parametrize("query, item", [
    ("乡镇寄宿志学校", 12),  # 制 → 志
    ("资原教室", 17),  # 资源 → 资原
    ("特殊教育资原中心", 17),
    ("校外陪训机构治理", 10),  # 培 → 陪
])
def test_typos(index: Index, query: str, item: int) -> None:
    assert top(index, query)[0] == item


@pytest.mark.parametrize("query, item", [
    ("少數民族高層次骨幹人才", 15),
    ("義務教育優質均衡發展現場會", 12),
    ("學前教育普惠性資源", 11),
])
def test_traditional_characters(index: Index, query: str, item: int) -> None:
    assert top(index, query)[0] == item


def test_a_typo_still_marks_the_words_it_got_right(index: Index) -> None:
    hit = index.search("乡镇寄宿志学校").hits[0]
    assert "乡镇寄宿制学校建设" in unmarked(hit.snippet())
    assert "学校】" in hit.snippet()  # 学校 is marked; the mistyped 志 has nothing to mark


def test_everyday_mongolian_wording_finds_the_plans_national_language_schools(index: Index) -> None:
    # the plan says 民族语言授课学校; people say 蒙语授课学校. Items 2 (校园文化), 8 (教材) and 26 (师资)
    # all name 民族语言授课学校, so the bare phrase may rank any of them first.
    hits = index.search("蒙语授课学校").hits
    assert "民族语言授课学校" in unmarked(hits[0].snippet())
    assert "【民族语言" in hits[0].snippet()
    assert 2 in [h.item.number for h in hits]
    # with the topic of item 2 added, item 2 comes first
    assert top(index, "蒙语授课学校的校园文化有什么要求")[0] == 2
    assert top(index, "蒙古语学校的校园文化建设")[0] == 2


@pytest.mark.parametrize("query, item", [
    ("平安校园", 31), ("控辍保学", 12), ("双一流", 15), ("县管校聘", 27), ("安吉游戏", 11),
    ("学分银行", 18), ("孔子学院", 24), ("作风建设年", 32), ("1+X证书", 14), ("三科统编教材补充读本", 8),
])
def test_keyword_searches(index: Index, query: str, item: int) -> None:
    assert top(index, query, k=1) == [item]


@pytest.mark.parametrize("query, item", [
    ("嗯那个就是说我想问一下就是今年那个乡镇寄宿制学校还建不建啊", 12),
    ("呃我想问问啊就是那个校园足球今年还搞不搞然后青训中心是不是要建", 9),
    ("那个啥，就是说，咱们这边的校外培训机构，今年是不是还要继续整治啊，对吧", 10),
])
def test_voice_style_rambling_with_fillers(index: Index, query: str, item: int) -> None:
    assert top(index, query)[0] == item


@pytest.mark.parametrize("query, item", [
    ("我是一名乡村小学的班主任，想了解今年留守儿童关爱方面有什么安排", 12),
    ("作为高校辅导员，我关心辅导员职业发展体系有什么新规定", 6),
    ("我是民办幼儿园园长，普惠性民办园补助标准今年会落实吗", 11),
])
def test_role_framing(index: Index, query: str, item: int) -> None:
    assert top(index, query)[0] == item


@pytest.mark.parametrize("query, item", [
    ("PE传统特色学校", 9),
    ("SCI论文指标怎么规范", 21),
    ("教育信息化2.0行动计划", 30),
])
def test_english_and_digits_mixed_in(index: Index, query: str, item: int) -> None:
    assert top(index, query)[0] == item


# ---------------------------------------------------------------- the preamble


@pytest.mark.parametrize("query", [
    "今年全区教育工作的总体要求是什么",
    "全区教育工作总体要求",
    "稳中求进工作总基调",
    "以推动教育高质量发展为主题，以改革创新为动力",
])
def test_the_preamble_answers_questions_about_the_overall_requirements(index: Index, query: str) -> None:
    answer = index.search(query)
    assert answer.answered
    hit = answer.hits[0]
    assert hit.item.number == 0 and hit.item.is_preamble
    assert hit.part == PREAMBLE and hit.item.ref == PREAMBLE


def test_the_preamble_heading_as_a_keyword(index: Index) -> None:
    assert top(index, "总体要求")[0] == 0


# ---------------------------------------------------------------- answered: in scope

IN_SCOPE = [  # written from the plan text: question → the item that answers it
    ("学前教育的普惠性资源怎么扩大", 11),
    ("校外培训机构今年还要继续治理吗", 10),
    ("高校毕业生就业有哪些支持政策", 15),
    ("中小学教师资格考试要改革吗", 27),
    ("学生近视率要下降多少", 9),  # the plan gives the figure: 0.5 或 1 个百分点
    ("职业教育活动周和技能大赛还办不办", 14),
    ("防治学生欺凌方面有什么措施", 31),
    ("师德失范行为怎么处理", 25),
    ("特殊教育学校建设有什么新计划", 17),
    ("民办学校招生广告要备案吗", 16),
    ("高考综合改革进展如何", 22),
    ("专题报告会多久举办一次", 4),
    ("家长如何参与学校的家校协同育人", 9),
]


@pytest.mark.parametrize("query, item", IN_SCOPE)
def test_questions_the_plan_answers_are_answered_with_the_right_item_first(index: Index, query: str, item: int) -> None:
    answer = index.search(query)
    assert answer.answered, (answer.reason, answer.features)
    assert answer.reason == ""
    assert answer.hits[0].item.number == item


# ---------------------------------------------------------------- not found


@pytest.mark.parametrize("query", [
    "明天呼和浩特天气怎么样",
    "红烧肉怎么做好吃",
    "推荐几部好看的电影",
    "股票明天会涨吗",
    "hello how are you",
    "what's the weather like today",
    "how do I cook rice",
])
def test_off_topic_questions_are_not_answered(index: Index, query: str) -> None:
    answer = index.search(query)
    assert not answer.answered
    assert answer.reason == "off-topic"


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "？？！！", "。，、…", "吗"])
def test_empty_questions_are_not_answered(index: Index, query: str) -> None:
    answer = index.search(query)
    assert (answer.answered, answer.hits, answer.reason) == (False, (), "empty")


@pytest.mark.parametrize("query", [
    "内蒙古师范大学考研复试线是多少分",
    "特岗教师今年招多少人",
    "内蒙古大学双一流建设经费是多少亿",
    "第七届互联网+大赛怎么报名",
    "教育厅分管职业教育的负责人是谁",
])
def test_details_the_plan_does_not_give_are_not_answered(index: Index, query: str) -> None:
    answer = index.search(query)
    assert not answer.answered
    assert answer.reason in {"detail-not-in-plan", "off-topic"}


PROCEDURE_ASKS_ON_PLAN_TOPICS = [  # the plan's own sentence, then "how do I sign up?"
    "持续深化推进创新创业教育改革，办好第七届“互联网+”大学生创新创业大赛，怎么报名参加",
    "组织参加第三届中华经典诵写讲大赛等中华经典传承推广活动，怎么报名参加",
    "举办全区第十五届中学生运动会、单项学生体育竞赛和全区首届中小学体育教师教学技能大赛，怎么报名参加",
    "办好全区职业院校技能大赛和职业教育活动周，怎么报名参加",
    "全面推开中小学教师资格考试制度改革，怎么报名",
]


def test_a_procedure_question_is_not_answered_however_well_its_topic_matches(index: Index) -> None:
    answers = [index.search(q) for q in PROCEDURE_ASKS_ON_PLAN_TOPICS]
    assert all(a.features is not None and a.features.detail_missing for a in answers)
    answered = [a.query for a in answers if a.answered]
    assert answered == []


def test_a_detail_question_on_a_topic_of_the_plan_says_the_detail_is_missing(index: Index) -> None:
    answer = index.search("特岗教师今年招多少人")
    assert answer.reason == "detail-not-in-plan"
    assert answer.hits and answer.hits[0].item.number in {26, 27}  # 特岗计划 / 教师招聘


# ---------------------------------------------------------------- what a hit holds

CONSISTENCY_QUERIES = ["乡镇寄宿制学校", "高校毕业生就业", "稳中求进工作总基调", "教师", "PE传统特色学校",
                       "学前教育普惠性资源", "红烧肉怎么做好吃"]


@pytest.mark.parametrize("query", CONSISTENCY_QUERIES)
def test_hits_are_distinct_items_best_first(index: Index, query: str) -> None:
    hits = index.search(query, k=5).hits
    numbers = [h.item.number for h in hits]
    assert len(numbers) == len(set(numbers))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    confidences = [h.confidence for h in hits]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert confidences == sorted(confidences, reverse=True)


@pytest.mark.parametrize("query", CONSISTENCY_QUERIES)
def test_each_hit_names_its_section_and_item_as_the_plan_does(index: Index, query: str) -> None:
    for hit in index.search(query, k=5).hits:
        it = hit.item
        if it.number == 0:
            assert (it.section, it.ref) == ("", PREAMBLE)
            continue
        numeral, section_title, title = OUTLINE[it.number]
        assert (it.section, it.section_title, it.title) == (numeral, section_title, title)
        assert it.ref == f"{numeral}、{section_title} › {it.number}. {title}"
        assert it.number in index.section(numeral).items


@pytest.mark.parametrize("query", CONSISTENCY_QUERIES)
def test_each_hit_part_and_snippet_come_from_the_items_own_passages(index: Index, query: str) -> None:
    for hit in index.search(query, k=5).hits:
        assert hit.part in {GOAL, MEASURES, PREAMBLE}
        assert hit.matches
        # matched sentences, long ones cut to their matching clauses: every piece between the "…" is
        # text of one of the item's own passages
        own = [p.text for p in hit.item.passages]
        pieces = [piece.strip() for piece in unmarked(hit.snippet()).split("…") if piece.strip()]
        assert pieces
        for piece in pieces:
            assert any(piece in text for text in own), piece
        # the part shown is the part of the best-scoring matched passage
        assert hit.part == max(hit.matches, key=lambda m: m.score).passage.part
        assert all(m.passage.item == hit.item.number for m in hit.matches)


@pytest.mark.parametrize("query", ["乡镇寄宿制学校", "高校毕业生就业", "平安校园", "PE传统特色学校"])
def test_snippet_marks_only_words_of_the_question(index: Index, query: str) -> None:
    tok = index.tokenizer
    nq = tok.normalize(query) + " ".join(add for _, add in tok.fired(tok.normalize(query)))
    hit = index.search(query).hits[0]
    marked = re.findall(r"【([^【】]+)】", hit.snippet())
    assert marked, hit.snippet()
    for segment in marked:
        assert all(ch in nq for ch in segment.lower()), (segment, query)


def test_snippet_marks_the_keyword_searched(index: Index) -> None:
    assert "【平安校园】" in index.search("平安校园").hits[0].snippet()
    assert "【控辍保学】" in index.search("控辍保学").hits[0].snippet()


def test_custom_marks_for_the_snippet(index: Index) -> None:
    hit = index.search("平安校园").hits[0]
    assert "<b>平安校园</b>" in hit.snippet("<b>", "</b>")


# ---------------------------------------------------------------- long questions and k


def test_a_10000_character_question_is_cut_and_flagged(index: Index) -> None:
    query = "控辍保学工作今年怎么开展" + "啊" * (10_000 - 12)
    assert len(query) == 10_000
    answer = index.search(query)
    assert isinstance(answer, Answer)
    assert answer.truncated and answer.query == query
    assert answer.hits[0].item.number == 12  # the topic came early


def test_a_question_at_the_limit_is_not_flagged(index: Index) -> None:
    query = "控辍保学" + "啊" * (MAX_QUERY_CHARS - 4)
    assert not index.search(query).truncated
    assert index.search(query + "啊").truncated


@pytest.mark.parametrize("k", [1, 2, 3, 5, 10])
def test_k_bounds_the_number_of_hits(index: Index, k: int) -> None:
    hits = index.search("教育", k=k).hits
    assert len(hits) == k  # 教育 is in nearly every item


def test_larger_k_extends_the_same_ranking(index: Index) -> None:
    assert top(index, "学校建设", k=3) == top(index, "学校建设", k=10)[:3]


def test_k_0_is_refused_clearly(index: Index) -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        index.search("控辍保学", k=0)


def test_a_role_question_naming_a_school_is_answered_and_a_detail_of_that_school_is_not(index):
    assert index.search("我在内蒙古农业大学当辅导员，今年高校思政课有啥新要求").answered
    assert index.search("内蒙古师范大学今年考研复试啥时候开始").reason == "detail-not-in-plan"


@pytest.mark.parametrize("question", ["蒙语教学还有吗", "蒙文教学以后怎么办"])
def test_a_synonym_whose_plan_word_the_index_holds_only_in_parts_still_matches(index, question):
    # 蒙语 adds 民族语言, which the plan only has inside 民族语言授课学校: its parts must be searched
    assert index.search(question).hits[0].item.number == 7
