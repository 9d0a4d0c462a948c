"""Detail asks: which kind of detail a question asks for, and whether the matched passage holds one."""

from __future__ import annotations

import pytest

from index.detail import Ask, asked_detail, asks_about_unnamed_school, detail_missing, school_name_pattern


@pytest.mark.parametrize("question, ask", [
    ("特岗教师今年招多少人", Ask.QUANTITY),
    ("中职学校有几所", Ask.QUANTITY),
    ("录取比例是多少", Ask.QUANTITY),
    ("考研复试线", Ask.QUANTITY),
    ("名额有多少", Ask.QUANTITY),
    ("中学生运动会是第几届", Ask.QUANTITY),
    ("运动会具体哪天举办", Ask.DATE),
    ("截止日期是哪天", Ask.DATE),
    ("几月几号开学", Ask.DATE),
    ("怎么报名参加技能大赛", Ask.PROCEDURE),
    ("申请流程", Ask.PROCEDURE),
    ("需要满足哪些条件", Ask.PROCEDURE),
    ("招生办联系电话", Ask.PROCEDURE),
    ("运动会在哪里举办", Ask.PROCEDURE),
    ("教育厅厅长是谁", Ask.PERSON),
    ("这项工作的负责人是哪位", Ask.PERSON),
    ("哪几所高校参加", Ask.NAMES),
    ("县管校聘试点扩大到哪几个旗县", Ask.NAMES),
    ("哪些学校进了名单", Ask.NAMES),
    ("这个计划到哪年结束", Ask.DATE),  # a year is a date; 哪个年级 is not
    ("比赛拿了金奖能有多少奖金", Ask.MONEY),
    ("乡村老师补贴一个月多少", Ask.MONEY),
    ("评职称需要几篇论文", Ask.QUANTITY),
    ("辅导员按什么师生比配备", Ask.QUANTITY),
    ("这个做法最早是哪个省搞的", Ask.NAMES),
])
def test_the_kind_of_detail_a_question_asks_for(question: str, ask: Ask) -> None:
    assert asked_detail(question) is ask


@pytest.mark.parametrize("question", [
    "学前教育有什么新政策",
    "乡镇寄宿制学校建设",
    "要印发哪几个清单",  # which documents: the plan names them
    "运动会什么时候举办",  # an annual plan answers "when" with its year
    "控辍保学工作怎么开展",
    "从哪年级开始学编程",
    "几年级开始学英语",
    "运动会哪年举办",  # "when" of an event: the annual plan's own year answers it
    "我们村小学就剩十几个学生了这种学校是要撤掉还是继续建",  # 十几个 states a figure, asks none
    "班里二十几个孩子都近视了学校管吗",
])
def test_questions_asking_for_no_detail(question: str) -> None:
    assert asked_detail(question) is Ask.NONE


@pytest.mark.parametrize("question", [
    "会不会公布名额",
    "有没有具体的比例",
    "是否规定了截止日期",
    "特岗计划还招多少人吗",
    "要不要考什么科目",
    "是不是每年都有名额",
    "今年还办技能大赛吗",
    "管不管招多少人",
    "招生名额会增加吗？",
    "校外培训是光治理还是要几个部门联合去查",  # a choice between two answers, as a yes/no question is
])
def test_yes_no_questions_never_count_as_detail_asks(question: str) -> None:
    assert asked_detail(question) is Ask.NONE
    assert not detail_missing(question, "研究制定相关办法。")


YEAR_ONLY = "组织召开2021年教育系统全面从严治党工作会议、警示教育会议。"


@pytest.mark.parametrize("passage", [
    YEAR_ONLY,
    "贯彻落实《内蒙古自治区2018-2022年干部教育培训规划》。",
    "实施“特岗计划”，不断优化乡村教师队伍结构。",
])
def test_a_quantity_ask_against_a_passage_without_a_figure_is_missing(passage: str) -> None:
    assert detail_missing("特岗教师今年招多少人", passage)


@pytest.mark.parametrize("passage", [
    "聚焦高校学科专业建设、干部人才队伍建设、教学科研、人才培养、基层党建等，每季度举办1期专题报告会。",
    "实施教育信息化2.0行动计划。",
    "组建全区首届职业教育学科（专业）委员会。",
    "儿童青少年总体近视率比2020年下降0.5或1个百分点以上。",
    "鼓励20万人口以上旗县建设特殊教育学校。",
    "举办第4期高校党政领导班子成员专题研讨班。",
])
def test_a_quantity_ask_against_a_passage_with_a_figure_is_not_missing(passage: str) -> None:
    assert not detail_missing("一共有多少", passage)


def test_a_date_ask_needs_a_date_or_a_period_in_the_passage() -> None:
    assert detail_missing("专题报告会具体哪天举办", "研究制定相关办法。")
    assert not detail_missing("专题报告会具体哪天举办", "每季度举办1期专题报告会。")
    assert not detail_missing("会议具体哪天开", YEAR_ONLY)  # 2021年 is a date


@pytest.mark.parametrize("question", ["怎么报名参加技能大赛", "教育厅厅长是谁"])
def test_procedure_and_person_asks_are_never_in_a_work_plan(question: str) -> None:
    assert detail_missing(question, "办好全区职业院校技能大赛和职业教育活动周。")
    assert detail_missing(question, "每季度举办1期专题报告会，2021年3月1日前报名。")


def test_no_ask_no_missing_detail() -> None:
    assert not detail_missing("学前教育有什么新政策", "研究制定相关办法。")


def test_a_names_ask_needs_a_named_institution_or_place_in_the_passage() -> None:
    assert not detail_missing("哪所学院今年要推动转设", "推动内蒙古大学创业学院转设工作。")
    assert detail_missing("县域特色高中都有哪几所", "加强自治区示范高中、县域特色高中建设，支持县域普通高中发展。")


def test_an_anniversary_is_the_figure_a_how_many_years_question_asks_for() -> None:
    assert not detail_missing("建党多少周年", "组织开展建党100周年主题大中小学艺术展演活动。")


@pytest.mark.parametrize("question", ["孩子近视了怎么办", "如何办好人民满意的教育", "怎么发展民办教育",
                                      "减轻课业负担具体哪些做法", "这几年职业教育有什么变化"])
def test_everyday_how_and_what_questions_ask_for_no_detail(question: str) -> None:
    assert asked_detail(question) is Ask.NONE


def test_a_money_ask_needs_an_amount_of_money_not_just_a_figure() -> None:
    assert asked_detail("近视手术多少钱") is Ask.MONEY
    assert detail_missing("近视手术多少钱", "儿童青少年总体近视率比2020年下降0.5或1个百分点以上。")
    assert not detail_missing("补助多少钱", "每生每年补助1500元。")


@pytest.mark.parametrize("question, passage", [
    ("免费午餐覆盖多少所学校", "免费午餐覆盖120所学校。"),
    ("乡村教师生活补助惠及多少人", "乡村教师生活补助惠及3万人。"),
])
def test_a_count_asked_about_a_fee_or_subsidy_is_a_quantity_a_figure_answers(question: str, passage: str) -> None:
    assert asked_detail(question) is not Ask.MONEY
    assert not detail_missing(question, passage)


PLACES = ("内蒙古", "呼市", "呼和浩特", "包头")


@pytest.mark.parametrize("question, names", [
    ("内蒙古师范大学今年考研复试啥时候开始", ["内蒙古师范大学"]),
    ("呼市二中的分数线大概多少", ["呼市二中"]),
    ("包头市第九中学招多少新生", ["包头市第九中学"]),
    ("内蒙古的中小学今年有什么新政策", []),  # a kind of school, not one school
    ("内蒙古中小学教师培训", []),
    ("呼市公办幼儿园多吗", []),
    ("内蒙古乡村小学什么时候能建好", []),  # kinds of school, not names
    ("内蒙古蒙古族中学什么时候用统编教材", []),
    ("内蒙古新建幼儿园什么时候招生", []),
    ("赤峰小学生课后服务什么时候开始", []),  # pupils and students, not a school
    ("包头大学生就业见习什么时候开始", []),
    ("包头初三中考体育什么时候考", []),  # 中考 is an exam
])
def test_names_of_particular_schools(question: str, names: list[str]) -> None:
    assert [m.group() for m in school_name_pattern(PLACES).finditer(question)] == names


def test_a_detail_about_a_school_the_plan_does_not_name_is_not_in_the_plan() -> None:
    pattern, plan = school_name_pattern(PLACES), "支持内蒙古大学“双一流”建设。"
    assert asks_about_unnamed_school("内蒙古师范大学今年考研复试啥时候开始", pattern, plan)  # "when" of that school
    assert not asks_about_unnamed_school("内蒙古大学双一流建设什么时候启动", pattern, plan)  # the plan names it
    assert not asks_about_unnamed_school("我在内蒙古农业大学当辅导员，今年思政工作有啥新要求", pattern, plan)  # no detail


@pytest.mark.parametrize(("question", "ask"), [
    ("what is the cut-off score for inner mongolia university this year?", Ask.QUANTITY),
    ("how many kindergarten places will be added?", Ask.QUANTITY),
    ("how much do teachers earn in hohhot?", Ask.MONEY),
    ("tuition at a private kindergarten", Ask.MONEY),
    ("hsk test dates 2021", Ask.DATE),
    ("what date is the gaokao?", Ask.DATE),
    ("how do i apply for a chinese government scholarship?", Ask.PROCEDURE),
    ("how to renew my residence permit", Ask.PROCEDURE),
    ("who is the director of the education department?", Ask.PERSON),
    ("which universities get double first-class funding?", Ask.NAMES),
])
def test_english_questions_ask_for_details_as_chinese_ones_do(question: str, ask: Ask) -> None:
    assert asked_detail(question) is ask


@pytest.mark.parametrize("question", [
    "is there anything about bullying?",  # yes/no
    "any support for graduates finding jobs?",
    "kindergarten fees are so high - is anyone regulating them?",  # a yes/no clause
    "who's in charge at a primary school, the headmaster or the party secretary?",  # a choice
    "how can i help my child's eyesight?",  # not an application verb: what is done
    "how to reduce the homework burden",
    "when will schools get more teachers?",  # "when" alone is answered by the plan's year
])
def test_english_questions_about_tasks_ask_for_no_detail(question: str) -> None:
    assert asked_detail(question) is Ask.NONE
