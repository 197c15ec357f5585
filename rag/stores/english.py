"""English question words as the bridge reads them: words, acronyms, words written as names, lemmas."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from .japanese import STOP_WORDS

_WORD = re.compile(r"[a-z]+(?:['\-][a-z]+)*")
# a word in capitals: in a question that also has lower-case letters it is an acronym (US, UN, EU), and in JMdict the
# case is what tells the United States (US → 米国) from "us" (私達) and the United Nations (UN → 国連) from "un-" (非, 不)
_CAPS = re.compile(r"(?<![A-Za-z])[A-Z]{2,}(?![A-Za-z])")
_LOWER = re.compile(r"[a-z]")
_CAPITALISED = re.compile(r"(?<![A-Za-z])[A-Z\u00c0-\u00de][a-z\u00df-\u00ff][\w'’\-]*")


def is_acronym(text: str) -> bool:
    """Whether `text` is one word in capitals (US, UN, WHO)."""
    return _CAPS.fullmatch(text) is not None


def english_words(text: str) -> list[str]:
    """Lower-cased English words: accents folded (détente → detente), curly apostrophes straightened, and quote
    marks around a word dropped (so 'mankind' in quotes is still mankind)."""
    text = text.lower().replace("\u2019", "'")
    if not text.isascii():  # NFKD leaves ASCII as it is, and ASCII has no combining marks
        folded = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _WORD.findall(text)


# the acronyms news English writes with dots (not any dotted capitals: "A.M." is 午前 as the table's "a m", "H.R.
# McMaster" a name's initials, which "HR" made 人事: a review's); "U.S." as USA, since "US" would be the pronoun
# wherever a question is read without its case ("did the u.s. tell us anything")
_DOTTED = re.compile(r"(?<![A-Za-z.])(?:U\.S\.(?:A\.?)?|U\.K\.|U\.N\.|E\.U\.)(?![A-Za-z])", re.IGNORECASE)


def undotted(text: str) -> str:
    """`text` with the dotted acronyms news English writes (U.S., U.S.A., U.K., U.N., E.U.) as acronyms, in their own
    case: USA, UK…; "u.s." usa, so that a question in lower case stays one (a review's: "what did the u.s. say about
    korybko" became cased, and "korybko" no name)."""
    return _DOTTED.sub(_undot, text)


def dotted_acronyms(text: str) -> set[str]:
    """The acronyms `undotted` makes of `text`, lower-cased: {"usa", "uk"}; not a word typed so ("Kim Jong Un")."""
    return {_undot(m).lower() for m in _DOTTED.finditer(text)}


def _undot(m: re.Match[str]) -> str:
    acronym = "USA" if m.group()[:3].upper() == "U.S" else m.group().replace(".", "").upper()
    return acronym if m.group()[0].isupper() else acronym.lower()


def capitals(text: str) -> set[str]:
    """The words `text` writes in capitals (US, UN, WHO), lower-cased."""
    return {w.lower() for w in _CAPS.findall(text)}


def acronyms(text: str) -> set[str]:
    """The words `text` writes in capitals, when it also has lower-case letters; a text written all in capitals has
    none (its case says nothing about any one word)."""
    return capitals(text) if _LOWER.search(text) else set()


# a word with a capital (accented letters and an apostrophe's part too: DÉTENTE, DIDN'T)
_LETTERED = re.compile(r"[A-Za-z\u00c0-\u024f]*[A-Z\u00c0-\u00de][A-Za-z\u00c0-\u024f]*(?:['’][A-Za-z]+)*")
# past Latin: kana, kanji, Cyrillic, Hangul, full-width letters; not typographic punctuation (’, “”, –, ？: a phone's)
_FOREIGN = re.compile(r"[^\x00-\u024f\u2010-\u206f\uff01-\uff0f\uff1a-\uff20\u3000-\u3002]")
_WORDS = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z]+)*")
# a word written capital-first (Putin, Trump's): in a question in title case, its case says nothing
_TITLE_WORD = re.compile(r"[A-Z\u00c0-\u00de][a-z\u00df-\u024f]*(?:['’][A-Za-z]+)*")


def _said_lower(word: str) -> bool:
    """Whether a word written capital-first in a question in title case is one English writes in lower case: a stop
    word, a contraction of one or a negation (Didn't, Won’t, It's, I'm's "m" aside: "I" keeps its capital)."""
    plain = word.lower().replace("’", "'")
    head, _, tail = plain.partition("'")
    return plain != "i" and not plain.startswith("i'") and (
        plain in STOP_WORDS or (bool(tail) and (head in STOP_WORDS or tail == "t" and head.endswith("n"))))


def shouted(text: str) -> bool:
    """Whether `text` is a question typed all in capitals ("WHY IS THE TAIJIMA FERRY CLOSING?"): three words or more
    of Latin letters, no lower-case letter and nothing but Latin script (a Japanese question keeps its acronyms)."""
    return not _LOWER.search(text) and len(_LETTERED.findall(text)) >= 3 and not _FOREIGN.search(text)


def titled(text: str) -> bool:
    """Whether `text` is a question typed in title case ("What Did Mayor Kai Say About The Flood?"): three words or
    more of Latin letters, each with a capital first, a stop word among them past the first (no question writes "Did"
    or "The" so mid-sentence), and nothing but Latin script."""
    words = _WORDS.findall(text)
    return (len(words) >= 3 and _LOWER.search(text) is not None and not _FOREIGN.search(text)
            and all(w[0].isupper() for w in words) and any(w.lower() in STOP_WORDS for w in words[1:]))


def as_typed(text: str, case: Callable[[str], str] = str.lower) -> str:
    """A question typed all in capitals (`shouted`) or in title case (`titled`) as people type questions, its first
    letter a capital: in capitals, each word in the case `case` gives it (its lower-cased form by default); in title
    case, the stop words written capital-first in lower case ("What Did Putin Say About The Alliance?": "What did Putin
    Say about the Alliance?"), every other word as typed. Lower-casing the dictionary's words too, as in capitals,
    ranked the 2,154 seen English questions retyped so a little higher (R@5 0.950 against 0.946) but told the
    encoders of "turkey", "diet", "may" and "okayama" where the question wrote names (a reviewer's). Any other text as
    it is."""
    if shouted(text):
        typed = _LETTERED.sub(lambda m: case(m.group()), text)
    elif titled(text):
        typed = _LETTERED.sub(lambda m: m.group().lower() if _TITLE_WORD.fullmatch(m.group()) and _said_lower(m.group())
                              else m.group(), text)
    else:
        return text
    at = next((i for i, ch in enumerate(typed) if ch.isalpha()), 0)
    return typed[:at] + typed[at:at + 1].upper() + typed[at + 1:]


def capitalised(text: str) -> set[str]:
    """The words `text` writes with a capital and then lower case (Korybko, Korybko's, Zelensky-led), as
    `english_words` reads them: the words that may be names. A name the dictionary lacks is spelled by its sound only
    then, since any word the dictionary lacks in a form it knows ("negotiating", "kept") has a key, and with enough
    unknown katakana terms (a large corpus) most keys belong to one."""
    return {w for m in _CAPITALISED.finditer(text) for w in english_words(m.group())[:1]}


def content_words(text: str) -> list[str]:
    """The distinct English words of `text` that carry meaning (no stop words, no single letters), in order, lower-case
    except acronyms, which keep their capitals (an embedder reads "US" as the country and "us" as the pronoun). A
    hyphenated word gives its parts, as the bridge looks it up (Russia-China: russia, china; US-led: US, led)."""
    caps = acronyms(text)
    parts = (p for w in english_words(text) for p in w.split("-"))
    return list(dict.fromkeys(p.upper() if p in caps else p for p in parts
                              if len(p) > 1 and (p in caps or p not in STOP_WORDS)))


# English participles that read as Japanese syllables, which no regular ending leads back to a dictionary word
# ("chosen" is no 朝鮮, "taken" no 他県): never a Japanese word in Latin letters
PARTICIPLES = frozenset({"been", "gone", "done", "seen", "taken", "chosen", "risen", "eaten", "woken", "shaken",
                         "beaten", "overtaken", "undertaken", "forsaken", "mistaken", "made", "arisen", "awoken",
                         "gotten"})


def lemmas(word: str) -> list[str]:
    """The word and naive English lemmas (sanctions → sanction, threatened → threaten, allies → ally), and last a
    doubled consonant's (cancelled → cancel, cutting → cut: no lemma before it reached the dictionary, and "How many
    trains were cancelled?" had no group for its verb: a probe's)."""
    out = [word]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: -len(suffix)] + repl)
    if word.endswith("'s") and len(word) > 2:
        out.append(word[:-2])  # a possessive, a short name's too: "Xi's" is 習's (the apostrophe says so; "bus" stays)
    out += [w for w in _undoubled(word, "aeiou") if w not in _NOT_UNDOUBLED]
    return out


# words a doubled consonant's form is not of, though the letters say so: canned, manned, wedding, bedding, shopping,
# thinning (a reviewer's: "Were the stations manned?" read as 人, 万)
_NOT_UNDOUBLED = frozenset({"can", "man", "wed", "bed", "but", "shop", "thin", "japan", "chin", "pad", "pan"})


def _undoubled(word: str, kept: str = "") -> list[str]:
    """A form with a doubled letter (not one of `kept`) before -ed or -ing, without it: stopped, stopping → stop."""
    for end in ("ed", "ing"):
        stem = word.removesuffix(end)
        if stem != word and len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in kept:
            return [stem[:-1]]
    return []


def stems(word: str) -> set[str]:
    """The words a regular English form may come from: `lemmas`' (westerns, warned, warning, agreed, negotiating,
    allies), and supplied, stopped, really (a possessive's 's is cut before a word is looked up)."""
    stems = set(lemmas(word))
    for end, back in (("ied", "y"), ("d", ""), ("ly", "")):
        if word.endswith(end) and len(word) - len(end) >= 3:
            stems.add(word[: -len(end)] + back)
    stems.update(_undoubled(word))  # a doubled letter: stopped, stopping
    return stems


# verbs whose nouns are other words, or too common to lend their nouns a sense ("saying", "being", "making"); and
# "committed" is no "commission", "lined" no "lining" (a reviewer's)
_NO_NOUNS = frozenset({"say", "tell", "make", "do", "get", "go", "take", "come", "see", "know", "think", "want",
                       "give", "have", "be", "put", "let", "seem", "become", "mean", "keep", "feel", "use", "find",
                       "look", "ask", "show", "try", "call", "leave", "turn", "begin", "start", "end", "set", "run",
                       "commit", "line", "include", "interest", "determine", "process", "help", "remain", "stay",
                       "wait", "sell", "rise", "locate", "organize", "organise", "close"})
# a verb's ending, the letters its noun cuts of it and the ending it adds, and the fewest letters such a verb has:
# "state" is no "station", "land" no "lansion", "close" no "closal", "move" no "moval"
_NOUN_ENDINGS = (("ate", 1, "ion", 6), ("ct", 0, "ion", 5), ("ss", 0, "ion", 5), ("pt", 0, "ion", 5),
                 ("de", 2, "sion", 5), ("end", 1, "sion", 6), ("and", 1, "sion", 6), ("mit", 1, "ssion", 5),
                 ("sume", 1, "ption", 6), ("ceive", 5, "ception", 7), ("ify", 1, "ication", 5),
                 ("ize", 1, "ation", 6), ("ise", 1, "ation", 6), ("ire", 1, "ation", 6), ("are", 1, "ation", 6),
                 ("ine", 1, "ation", 6), ("rm", 0, "ation", 5), ("nt", 0, "ation", 5), ("el", 0, "lation", 5),
                 ("over", 0, "y", 6), ("ive", 1, "al", 6), ("ove", 1, "al", 6), ("ose", 1, "al", 6),
                 ("use", 1, "al", 6), ("aw", 0, "al", 5), ("ew", 0, "al", 5), ("ail", 0, "ure", 6),
                 ("ose", 1, "ure", 6), ("art", 0, "ure", 6), ("ize", 1, "ure", 6), ("ear", 0, "ance", 6),
                 ("ist", 0, "ance", 6), ("end", 0, "ance", 6), ("orm", 0, "ance", 6), ("ept", 0, "ance", 6),
                 # apologized → apology (JMdict's わび, 申し訳; a probe's "Who apologized?"), sympathized → sympathy
                 ("gize", 3, "y", 7), ("gise", 3, "y", 7), ("thize", 3, "y", 8), ("thise", 3, "y", 8))


def nominals(word: str, known: Callable[[str], bool], verb: bool = False) -> list[str]:
    """The nouns English makes of the verb `word` may be a form of (a lemma `known` holds as a word), as JMdict glosses
    a Japanese noun of action (運休 "cancellation; suspension (of service)", 水揚げ "landing", 再開 "resumption")
    whose verb it often lacks: cancelled → cancellation, landed → landing, resumed → resumption, suspended →
    suspension, discovered → discovery. Only of a verb's form in -ed or -ing, or of a word `verb` says is one ("did
    it resume"): a noun or an adjective makes no such noun ("trains" is no "training", "state media" no "statement",
    "success" no "succession": a reviewer's). Candidates only: a caller keeps those it holds."""
    if not (verb or word.endswith(("ed", "ing"))):
        return []
    out: list[str] = []
    for base in lemmas(word):
        if len(base) < 4 or base in _NO_NOUNS or base.endswith(("ing", "ion", "ment")) or not known(base):
            continue
        out.append((base[:-1] if base.endswith("e") and not base.endswith("ee") else base) + "ing")
        out += [base[:len(base) - cut] + added for ending, cut, added, fewest in _NOUN_ENDINGS
                if base.endswith(ending) and len(base) >= fewest]
    return [n for n in dict.fromkeys(out) if n != word]
