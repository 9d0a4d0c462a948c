"""The operators' commands in Telegram: /stats (with a chart as a photo), /teach, /taught — for
PLAN_BOT_ADMIN_IDS only, in their command menu only; anyone else gets the usual unknown-command answer."""

from __future__ import annotations

from fake_telegram import no_errors, only

from bot.chart import bars_png

ADMIN, STRANGER = 999, 1001


async def test_only_admins_have_the_admin_commands_and_only_in_their_menu(bot_with_admin, fake):
    await bot_with_admin.app.post_init(bot_with_admin.app)
    public = {c["command"] for c in fake.commands}
    mine = {c["command"] for c in fake.scoped_commands[ADMIN]}
    assert {"stats", "teach", "taught"} <= mine and not {"stats", "teach", "taught"} & public
    for command in ("/stats", "/teach 15 问题", "/taught"):
        reply = only(no_errors(await bot_with_admin.say(STRANGER, command)))
        assert "没有" in reply.text and "/help" in reply.text  # the usual unknown-command answer


async def test_stats_come_with_a_chart_as_a_photo(bot_with_admin, fake, store):
    await bot_with_admin.say(STRANGER, "学前教育有什么新政策")
    await bot_with_admin.say(STRANGER, "今天天气怎么样")
    calls = no_errors(await bot_with_admin.say(ADMIN, "/stats"))
    text = [c for c in calls if c.method == "sendMessage"][0].text
    assert "2 个问题" in text and "50%" in text and "今天天气怎么样" in text
    assert [c.method for c in calls].count("sendPhoto") == 1


async def test_teaching_changes_the_ranking_of_a_paraphrase_at_once_and_taught_lists_it(bot_with_admin, fake, store):
    before = only(await bot_with_admin.say(STRANGER, "退了休的老教师还能去农村学校上课吗"))
    assert not before.text.startswith("📌 <b>五、")  # item 25 (五、…) is not first before teaching
    taught = only(no_errors(await bot_with_admin.say(ADMIN, "/teach 25 退休老师可以去农村学校支教吗")))
    assert "记住了" in taught.text and "25." in taught.text
    after = only(await bot_with_admin.say(STRANGER, "退了休的老教师还能去农村学校上课吗"))
    assert "› 25. " in after.text.split("\n")[0]
    listing = only(no_errors(await bot_with_admin.say(ADMIN, "/taught")))
    assert "退休老师可以去农村学校支教吗" in listing.text
    (label, data), = [(label, data) for label, data in listing.buttons if label.startswith("删除")]
    stranger_press = await bot_with_admin.press(listing.message, data, user=fake.user(STRANGER))
    (alert,) = [c for c in stranger_press if c.method == "answerCallbackQuery"]
    assert alert.params.get("show_alert") and store.taught()  # a stranger's press removes nothing
    await bot_with_admin.press(listing.message, data)
    assert store.taught() == []


async def test_teach_refuses_an_item_out_of_range_an_empty_or_a_huge_question(bot_with_admin):
    for text, expect in (("/teach 34 问题", "1–33"), ("/teach 15", "用法"), ("/teach 15 " + "啊" * 2000, "太长")):
        assert expect in only(no_errors(await bot_with_admin.say(ADMIN, text))).text


def test_the_chart_is_a_png_of_the_expected_size() -> None:
    png = bars_png([(3, 1), (0, 0), (5, 2)])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[16:24] == (640).to_bytes(4, "big") + (320).to_bytes(4, "big")


async def test_reload_from_telegram_keeps_the_plans_when_one_is_broken(bot_with_admin, tmp_path):
    services = bot_with_admin.app.bot_data["services"]
    (tmp_path / "x.toml").write_text('id = "x"\ntitle = "X"\nyear = 2026\npublished = 2026-01-01\n', encoding="utf-8")
    (tmp_path / "x.txt").write_text("不是计划。\n", encoding="utf-8")
    services.reloader.plans_dir = tmp_path
    before = services.logic.index
    calls = no_errors(await bot_with_admin.say(ADMIN, "/reload"))
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert "后台" in texts[0] and "没有重新加载" in texts[1] and "x.txt:" in texts[1]
    assert services.logic.index is before
    answer = only(await bot_with_admin.say(STRANGER, "学前教育有什么新政策"))
    assert answer.text.startswith("📌")
