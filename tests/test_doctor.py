"""`plan-bot doctor`: a sound set-up passes; a broken plan, a damaged database and a rejected token are
each named with what to do; nothing it reports as broken is modified."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fake_telegram import TOKEN

from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
SECOND_DIR = Path(__file__).parent / "data" / "second-plan"


def doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PLAN_BOT_", "TELEGRAM_"))}
    return subprocess.run([sys.executable, "-m", "bot.cli", "doctor"], env={**base, **env}, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_a_sound_set_up_passes_every_check(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    Store.open(db).close()
    done = doctor({"PLAN_BOT_DB": str(db), "PLAN_BOT_PLANS_DIR": str(SECOND_DIR)})
    assert done.returncode == 0, done.stdout
    assert "✗" not in done.stdout and "✓ database" in done.stdout and "plan moushi-edu-2022" in done.stdout
    assert "all checks passed" in done.stdout


def test_a_database_not_yet_created_is_fine_and_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.sqlite3"
    done = doctor({"PLAN_BOT_DB": str(db)})
    assert done.returncode == 0 and "not created yet" in done.stdout and not db.exists()


def test_a_broken_plan_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "moushi-edu-2022.toml").write_text((SECOND_DIR / "moushi-edu-2022.toml").read_text(encoding="utf-8"),
                                                  encoding="utf-8")
    (folder / "moushi-edu-2022.txt").write_text("没有章节的文字。\n", encoding="utf-8")
    done = doctor({"PLAN_BOT_DB": str(tmp_path / "bot.sqlite3"), "PLAN_BOT_PLANS_DIR": str(folder)})
    assert done.returncode == 1 and "✗ plans: moushi-edu-2022.txt:" in done.stdout


def test_a_missing_plans_folder_is_a_configuration_error(tmp_path: Path) -> None:
    done = doctor({"PLAN_BOT_PLANS_DIR": str(tmp_path / "nope")})
    assert done.returncode == 1 and "✗ configuration: PLAN_BOT_PLANS_DIR" in done.stdout


def test_a_damaged_database_is_reported_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    db.write_bytes(b"SQLite format 3\x00" + b"\x00\xff" * 3000)
    before = db.read_bytes()
    done = doctor({"PLAN_BOT_DB": str(db)})
    assert done.returncode == 1 and f"✗ database {db}" in done.stdout and "backup" in done.stdout
    assert db.read_bytes() == before and not (tmp_path / "bot.sqlite3.key").exists()


def test_the_token_is_checked_with_get_me_and_never_printed(telegram_server, tmp_path: Path) -> None:
    env = {"PLAN_BOT_DB": str(tmp_path / "bot.sqlite3"), "TELEGRAM_API_BASE_URL": telegram_server.base_url}
    good = doctor({**env, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert good.returncode == 0 and "✓ Telegram: the token belongs to @" in good.stdout
    bad = doctor({**env, "TELEGRAM_BOT_TOKEN": "123456:" + "B" * 35})
    assert bad.returncode == 1 and "✗ Telegram: the token was rejected" in bad.stdout
    assert TOKEN not in good.stdout + good.stderr and "B" * 35 not in bad.stdout + bad.stderr


def test_doctor_leaves_no_file_behind_beside_a_wal_database(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = Store.open(db)
    store.log_question(1, "学前教育", [11], True, "p", __import__("datetime").datetime.now())
    store.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert doctor({"PLAN_BOT_DB": str(db)}).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before
