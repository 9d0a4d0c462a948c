"""The Telegram-free reply logic: every reply valid Telegram HTML within 4096 characters, button data
ids only and within 64 bytes, pages and cards that hold together; the console's TEXT style gets the
same buttons as Telegram's HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_telegram import parse_html, utf16_len

from bot.commands import COMMANDS
from bot.logic import (
    CALLBACK_LIMIT,
    INLINE_PAGE,
    MAX_QUESTION_CHARS,
    Button,
    Logic,
    Origin,
    Reply,
    parse_button_data,
)
from bot.render import HTML, STALE_BUTTON, STALE_QUESTION, TEXT

EVAL = Path(__file__).resolve().parent.parent / "eval" / "dev-extra.jsonl"
ME = Origin(chat_id=5, user_id=5)
EVIL = ["<b>高考</b> & <script>", "</i>近视&amp;", "a < b > c", "&lt;i&gt;", "<a href='x'>学前</a>"]


def questions() -> list[str]:
    """Our 150 development questions plus some hostile input."""
    return [json.loads(line)["q"] for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()] + EVIL


@pytest.fixture
def logic(index, store, clock) -> Logic:
    return Logic(index, store, clock, HTML)


def check(reply: Reply) -> Reply:
    """A reply Telegram would accept: valid HTML, ≤ 4096 characters each, button data ≤ 64 bytes,
    a button notice ≤ 200 characters."""
    assert len(reply.notice) <= 200
    for text in reply.messages:
        plain, _ = parse_html(text)
        assert 0 < utf16_len(plain) <= 4096 and len(text) <= 4096
    for row in reply.buttons:
        for b in row:
            assert b.label and 1 <= len(b.data.encode()) <= CALLBACK_LIMIT
            parse_button_data(b.data)
    return reply


def all_buttons(reply: Reply) -> list[Button]:
    return [b for row in reply.buttons for b in row]


def test_every_answer_page_and_every_button_press_gives_replies_telegram_accepts(logic):
    presses = 0
    for q in questions():
        answer = check(logic.ask(ME, q))
        for b in all_buttons(answer):
            check(logic.press(ME, b.data))
            presses += 1
    assert presses > 500


def test_every_item_card_section_and_command_reply_is_valid(logic, index):
    plan = index.plan()
    for ref in ["总体要求", *map(str, range(1, plan.item_range[1] + 1))]:
        card = check(logic.command("item", ref, ME))
        for b in all_buttons(card):
            check(logic.press(ME, b.data))
    for name in [c.name for c in COMMANDS if c.name != "item"]:
        for arg in ("", "三", "15", "<b>", "9" * 70, "15 12月1日 <b>&", "all", "3 1 08:30"):
            check(logic.command(name, arg, ME, "PlanTestBot"))


def test_button_data_carries_ids_only_never_question_text(logic):
    long_question = "学前教育" * 100
    reply = logic.ask(ME, long_question)
    for b in all_buttons(reply):
        action, ids = parse_button_data(b.data)
        assert all(isinstance(i, int) for i in ids) and "学" not in b.data


@pytest.mark.parametrize("data", ["item:7:15", "item:-1:15", "item:0:999", "sect:0:9", "vote:1:5", "page:x:1", ""])
def test_a_button_press_this_bot_cannot_honour_gets_an_alert(logic, data):
    reply = logic.press(ME, data)
    assert reply.alert and reply.notice and reply.messages == ()


def test_a_button_refuses_data_over_64_bytes():
    with pytest.raises(ValueError):
        Button("x", "page:" + "9" * 64)


def test_more_results_re_runs_the_logged_question(logic, store):
    first = logic.ask(ME, "学前教育有什么新政策？")
    more = next(b for b in all_buttons(first) if b.label == "更多结果 ›")
    page2 = logic.press(ME, more.data)
    logged = store.recent_questions()[0]
    assert page2.edit and page2.messages[0].startswith("<i>第 2 页</i>")
    assert [b.label for b in all_buttons(page2)][:3] == [f"全文 {n or '总体要求'}" for n in logged.items[3:6]]
    assert store.question_count() == 1  # paging is not a new question


def test_pages_stop_at_the_last_and_a_page_past_it_shows_the_last(logic):
    first = logic.ask(ME, "学前教育有什么新政策？")
    qid = parse_button_data(next(b for b in all_buttons(first) if b.label == "👍").data)[1][0]
    last = logic.press(ME, f"page:{qid}:2")
    assert "更多结果 ›" not in [b.label for b in all_buttons(last)]
    assert logic.press(ME, f"page:{qid}:7").messages == last.messages


def test_not_found_offers_the_nearest_items_and_feedback_but_no_more_results(logic):
    reply = logic.ask(ME, "周末去哪里滑雪比较好？")
    labels = [b.label for b in all_buttons(reply)]
    assert labels[0].startswith("看看 ") and labels[-2:] == ["👍", "👎"] and "更多结果 ›" not in labels


def test_an_empty_question_asks_for_one_without_buttons(logic, store):
    reply = logic.ask(ME, "？！")
    assert "请输入一个问题" in reply.messages[0] and reply.buttons == ()


def test_a_long_question_is_cut_before_it_is_logged(logic, store):
    logic.ask(ME, "近视" * 3000)
    assert len(store.recent_questions()[0].question) == MAX_QUESTION_CHARS


def test_the_preamble_is_item_总体要求_as_listed_in_sections(logic):
    assert "/item 总体要求" in logic.command("sections", "", ME).messages[0]
    card = logic.command("item", "总体要求", ME)
    assert card.messages[0].startswith("📖 <b>总体要求</b>")
    assert [b.label for b in all_buttons(card)] == ["1 ›"]
    assert [b.label for b in all_buttons(logic.command("item", "1", ME))][0] == "‹ 总体要求"


def test_the_last_item_has_no_next_button(logic, index):
    hi = index.plan().item_range[1]
    labels = [b.label for b in all_buttons(logic.command("item", str(hi), ME))]
    assert labels == [f"‹ {hi - 1}", "🔔 订阅提醒"]


def test_a_long_item_is_split_and_navigation_then_sends_instead_of_editing(long_item_index, store, clock):
    logic = Logic(long_item_index, store, clock)
    card = check(logic.command("item", "4", ME))
    assert len(card.messages) >= 3
    nav = logic.press(ME, "nav:0:4")
    assert not nav.edit and nav.messages == card.messages


def test_inline_pages_cover_every_hit_once_ten_at_a_time(logic):
    seen, offset, pages = [], "", 0
    while True:
        page = logic.inline("教育改革", offset)
        assert 0 < len(page.articles) <= INLINE_PAGE
        for a in page.articles:
            parse_html(a.text)
            assert len(a.text) <= 4096 and "<" not in a.title and len(a.id.encode()) <= 64
        seen += [a.id for a in page.articles]
        pages += 1
        if not page.next_offset:
            break
        offset = page.next_offset
    assert pages >= 3 and len(seen) == len(set(seen))


def test_inline_cards_of_long_items_are_cut_to_one_message_with_a_pointer(long_item_index, store, clock):
    logic = Logic(long_item_index, store, clock)
    article = next(a for a in logic.inline("安全隐患排查").articles if a.id.endswith("-4"))
    assert len(article.text) <= 4096 and "/item 4" in article.text


def test_the_console_style_gets_the_same_buttons_and_plain_text(index, store, clock):
    html, text = Logic(index, store, clock, HTML), Logic(index, store, clock, TEXT)
    for q in ["学前教育有什么新政策？", "周末去哪里滑雪比较好？"]:
        a, b = html.ask(ME, q), text.ask(ME, q)
        assert [x.label for x in all_buttons(a)] == [x.label for x in all_buttons(b)]
        assert "<b>" not in b.messages[0] and "<i>" not in b.messages[0]
    assert "【学前教育】" in text.ask(ME, "学前教育有什么新政策？").messages[0]


# ---- item references typed as questions -----------------------------------------------------------
@pytest.mark.parametrize("text", ["15", "第15条", "十五", "第 15 条", "１５", " 15 "])
def test_a_message_that_is_only_an_item_reference_gets_that_items_card_as_item_does(logic, store, text):
    assert logic.ask(ME, text) == logic.command("item", "15", ME)


def test_a_bare_1_and_总体要求_open_item_1_and_the_preamble_not_a_search(logic):
    assert logic.ask(ME, "1").messages[0].startswith("📖 <b>一、加强党对教育工作的全面领导 › 1. ")
    assert logic.ask(ME, "总体要求") == logic.command("item", "总体要求", ME)


@pytest.mark.parametrize("text", ["0", "2021", "第99条", "15条措施有哪些"])
def test_numbers_outside_the_plan_and_longer_questions_are_still_searched(logic, text):
    assert not logic.ask(ME, text).messages[0].startswith("📖")


# ---- buttons and offsets from outside ----------------------------------------------------------------
def test_more_results_and_votes_work_only_in_the_chat_that_asked(logic, store):
    first = logic.ask(ME, "学前教育有什么新政策？")
    qid = parse_button_data(next(b for b in all_buttons(first) if b.label == "👍").data)[1][0]
    stranger = Origin(chat_id=222, user_id=222)
    for data in (f"page:{qid}:1", f"page:{qid}:0", f"vote:{qid}:1", f"vote:{qid}:-1"):
        reply = logic.press(stranger, data)
        assert (reply.messages, reply.notice, reply.alert) == ((), STALE_QUESTION, True), data
    assert store.feedback(qid) == []
    assert logic.press(Origin(chat_id=ME.chat_id, user_id=7), f"page:{qid}:1").messages  # anyone in the chat


@pytest.mark.parametrize("data", [
    "page:99999999999999999999:0", "page:1:99999999999999999999", "vote:99999999999999999999:1",
    f"vote:{2**63}:1", "vote:1:-99999999999999999999", "item:0:99999999999999999999", "nav:99999999999999999999:1",
    "unsub:0:0:99999999999999999999", "rmdel:99999999999999999999", "item:0:１５", "item:0:+15", "item:0:1_5",
    "item:0: 15", "page:²:0",
])
def test_button_ids_that_are_not_ascii_decimals_within_64_bits_say_the_button_expired(logic, data):
    logic.ask(ME, "学前教育有什么新政策？")
    reply = logic.press(ME, data)
    assert (reply.messages, reply.notice, reply.alert) == ((), STALE_BUTTON, True)


@pytest.mark.parametrize("offset", ["²", "٣", "9" * 5000, "-10", "10.0", "abc"])
def test_an_inline_offset_this_bot_did_not_hand_out_starts_from_the_first_page(logic, offset):
    assert logic.inline("教育改革", offset) == logic.inline("教育改革", "")


# ---- several plans --------------------------------------------------------------------------------------
SECOND_TITLE = "某市教育局2022年工作要点"
FIRST_TITLE = "内蒙古自治区党委高校工委、内蒙古自治区教育厅2021年工作要点"


def test_the_source_line_names_the_plan_of_each_item_on_the_page(two_plan_index, store, clock):
    logic = Logic(two_plan_index, store, clock, TEXT)
    only_2021 = logic.ask(ME, "控辍保学").messages[0]
    assert only_2021.endswith(f"来源：{FIRST_TITLE}")  # the 2022 plan is loaded first, but not shown
    both = logic.ask(ME, "推进平安校园建设")  # the 2022 plan's item 4 first, then 2021 items
    assert both.messages[0].endswith(f"来源：{SECOND_TITLE}；{FIRST_TITLE}")
    more = next(b for b in all_buttons(both) if b.label == "更多结果 ›")
    assert logic.press(ME, more.data).messages[0].endswith(f"来源：{FIRST_TITLE}")


@pytest.fixture(scope="module")
def newest_last_index():
    """The shipped 2021 plan first and the fictional 2022 plan after it (not the id order)."""
    from conftest import SECOND_PLAN, build_index

    from corpus import load_plan, shipped_plans

    return build_index((*shipped_plans(), load_plan(SECOND_PLAN)))


def test_item_and_section_lookups_default_to_the_newest_plan_wherever_it_is_loaded(newest_last_index, store,
                                                                                    clock):
    logic = Logic(newest_last_index, store, clock, TEXT)
    assert "维护校园安全稳定" in logic.item("4", ME).messages[0]  # the 2022 plan's item 4
    assert "1–4" in logic.item("15", ME).messages[0]  # it has 4 items, named in the message
    assert "办好人民满意的教育" in logic.section("二", ME).messages[0]  # the 2022 plan's section 二
    toc = logic.sections("", ME)
    first = next(b for b in all_buttons(toc) if b.label.startswith("一、"))
    assert "加强教育系统党的建设" in first.label
    assert "深化党的创新理论学习" in logic.press(ME, first.data).messages[0]  # opens the 2022 plan's section
    assert newest_last_index.item(15, "nmg-edu-2021").title == "推动高等教育提质创新发展"  # others by id
