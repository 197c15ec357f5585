"""What the service says when the passages found do not cover a question (`NOT_COVERED`), and its reply to a chat
message that asks nothing (`SMALL_TALK`), after a "You're welcome." to a thanks and a "Hello!" to a greeting."""

from __future__ import annotations

import re

from ...stores.english import english_words

NOT_COVERED = {
    "en": "None of the passages found seems to answer this question; the indexed articles may not cover it. The "
          "closest passages are listed as sources.",
    "ja": "見つかった文章には、この質問に答えるものが見当たりません。索引の記事が扱っていない内容かもしれません。最も近い"
          "文章を出典として示します。",
}
# the reply to a chat message that asks nothing ("Thanks!", "hi", "👍"), which is not searched
SMALL_TALK = {
    "en": "Ask me about the indexed news articles, in English or Japanese: I answer from their passages and cite them.",
    "ja": "索引のニュース記事について、日本語か英語で質問してください。記事の文章を引用してお答えします。",
}


def not_covered_message(lang: str) -> str:
    return NOT_COVERED.get(lang, NOT_COVERED["en"])


def small_talk_message(lang: str, message: str = "") -> str:
    """The reply to small talk in `lang`: what the service answers, after a "You're welcome." to a thanks and a
    "Hello!" to a greeting (`message`; a probe's: the bare prompt read oddly after a thank-you)."""
    opener = _OPENERS.get(_small_talk_kind(message), {}).get(lang, "")
    return f"{opener}{' ' if opener and lang != 'ja' else ''}{SMALL_TALK.get(lang, SMALL_TALK['en'])}"


_OPENERS = {"thanks": {"en": "You're welcome.", "ja": "どういたしまして。"}, "greeting": {"en": "Hello!", "ja": "こんにちは。"}}
_THANKS_EN = frozenset({"thanks", "thank", "thx", "ty", "cheers", "appreciate", "appreciated"})
_GREETINGS_EN = frozenset({"hi", "hello", "hey", "morning", "afternoon", "evening", "yo", "hiya"})
_THANKS_JA = re.compile(r"ありがと|サンキュ|感謝|どうも")
_GREETINGS_JA = re.compile(r"こんにちは|こんばんは|おはよう|はじめまして")


def _small_talk_kind(message: str) -> str | None:
    """"thanks" or "greeting" for small talk that thanks or greets (either language), else None (ok, 👍, 了解)."""
    words = set(english_words(message))
    if words & _THANKS_EN or _THANKS_JA.search(message):
        return "thanks"
    if words & _GREETINGS_EN or _GREETINGS_JA.search(message):
        return "greeting"
    return None
