"""Answer-type evidence: what kind of detail a question asks for (a number, a date, a place, a person or organisation,
a reason) from English and Japanese cue words, and whether a sentence holds a token of that kind that the question
does not already contain, from Sudachi's part-of-speech tags (数詞, 固有名詞 地名/人名/組織名).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from typing import Literal

from ...stores.bridge import TEXT_LENGTH, TEXT_UNITS
from ...stores.japanese import Token

Kind = Literal["number", "date", "place", "entity", "reason", "statement"]
KINDS: tuple[Kind, ...] = ("number", "date", "place", "entity", "reason", "statement")

# up to two modifiers between "which" and its noun ("which two European countries"), but not a verb or an article
# ("what did the minister say" asks for a statement, not a person)
_MODIFIERS = r"(?:(?!(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could|should|the|a|an)\b)[a-z\-]+\s+){0,2}?"
# "when" that opens a clause asks for nothing: "What did Trump say when asked…", "…when he met Xi", "When talking…"
_CLAUSE = r"(?!\s+(?:he|she|it|they|we|i|you|the|a|an|this|that|his|her|their|[a-z]+ed|[a-z]+ing)\b)"
# a quantity's noun, ending the question or followed by a word that places it ("the turnout in the election", "the
# rate of unemployment", "the score?")
_PLACED = (r"(?=\s*(?:$|[?.!,;:]|(?:of|in|at|for|on|among|during|from|by|this|that|last|after|before|when|"
           r"as|compared|now|today|then|there|here)\b))")
_QUANTITY = (r"(?:turnout|rates?|population|score|margin|budget|deficit|surplus|toll|death\s+toll|temperature|height|"
             r"altitude|depth|length|weight)" + _PLACED)
# At one position the earlier kind wins ("how long ago" is a date before "how long" is a number).
_EN: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\bwhen\b" + _CLAUSE + r"|\bhow long ago\b|\b(?:what|which)\s+(?:year|date|day|month|time)s?\b|"
                        r"\bsince when\b|\bin what year\b")),
    ("number", re.compile(r"\bhow\s+(?:many|much|long|far|old|large|big|often|high|low|tall|deep|heavy)\b|"
                          r"\b(?:what|which)\s+(?:share|percentage|percent|proportion|number|amount|fraction|"
                          r"portion|sum|total|figure|size|quantity|altitude|height|depth|distance|weight)\b|"
                          # "What was the turnout?", "What is the storage rate of the dam?": a quantity named after
                          # "the", up to two words before it, and ending the question or followed by what places it
                          # (not "What was the rate cut about?", "What is the population decline problem?", "the
                          # rate-hike plan": a noun follows). Not a price, a fee or a cost, which a question asks of
                          # what the articles may not price: any amount of money then led (a reviewer's)
                          r"\bwhat\s+(?:was|is|were|are)\s+the\s+(?:[a-z\-]+\s+){0,2}?" + _QUANTITY)),
    ("reason", re.compile(r"\bwhy\b|\b(?:what|which)\s+(?:reason|reasons|cause|causes|motive|motives)\b|"
                          r"\bfor what reason\b|\bhow come\b|"
                          # "What caused the fire?", "What do investigators think caused it?", "What is the
                          # suspected cause of the fire?"
                          # (an auxiliary of a subject's doing first: "What damage was caused…", "What was the damage
                          # caused…", "What was caused by the snow?" ask for what it caused, reviewers')
                          r"\bwhat\s+(?:(?:do|does|did|might|may|could|would)\s+"
                          r"(?:(?!(?:say|said|tell|told)\b)[a-z]+\s+){0,3}?)?caused\b|"
                          # "What is thought to have caused the fire?" (a reviewer's)
                          r"\bwhat\s+(?:is|was|are|were)\s+(?:thought|believed|suspected|said|likely|known|reported|"
                          r"understood)\s+to\s+have\s+caused\b|"
                          r"\bwhat\s+(?:was|is|were|are)\s+the\s+(?:[a-z\-]+\s+)?(?:cause|causes|reason|reasons)\b")),
    ("place", re.compile(r"\bwhere\b|\b(?:what|which)\s+" + _MODIFIERS + r"(?:country|countries|city|cities|region|"
                         r"regions|place|places|capital|capitals|province|provinces|territory|territories|area|areas|"
                         r"location|locations|nation|nations|state|states|"
                         # Japan's divisions: "Which prefecture had the most transports?" (「東京都の1288人が最も多く」
                         # never led, a twenty-first probe's)
                         r"prefectures?|municipality|municipalities|towns?|villages?|districts?|wards?)\b")),
    ("entity", re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|\b(?:what|which)\s+" + _MODIFIERS + r"(?:leader|leaders|"
                          r"official|officials|organi[sz]ation|organi[sz]ations|group|groups|company|companies|party|"
                          r"parties|minister|ministers|president|agency|agencies|person|people|politician|"
                          r"politicians|newspaper|outlet|media|institution|institutions|body|bodies|firm|firms|gang|"
                          r"gangs|hacker|hackers|syndicate|syndicates)\b|"
                          # "What is the name of the hacker group?": a name asked of a kind of organisation
                          r"\bnames?\s+of\s+(?:the\s+|this\s+|that\s+)?" + _MODIFIERS + r"(?:group|groups|"
                          r"organi[sz]ation|organi[sz]ations|company|companies|agency|agencies|"
                          r"firm|firms|gang|gangs)\b")),
)
# a measure a Japanese question ends by asking (リフトの長さは?, 面積はどのくらい?): not a time's length (任期の長さ,
# 待ち時間の長さ), not a measure a verb acts on (気温を下げる対策は?), nor one before a later cue (なぜ気温は上がった?);
# no 高さ, 深さ, 広さ, which are as often a degree (物価の高さ, 関心の高さ: a reviewer's)
_MEASURE_ASKED = r"(?<!時間の)(?<!期間の)(?<!任期の)(?<!会議の)(?<!話の)"
_MEASURE_END = (r"(?:は|って|を教えて(?:ください|下さい)?)(?:どの[くぐ]らい|どれ[くぐ]らい|どれほど|どれだけ|何[^\s?？]{0,6})?"
                r"(?:ある|あります|あるの|なの|ですか|でしょうか|か)*[?？。!！]?$")  # a reviewer's: 〜を教えて, 〜ありますか
_JA: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    # a counter after 何 asks for an amount, except the calendar ones (何年, 何月, 何日), which ask for a date
    ("number", re.compile(r"何(?:人|回|件|割|倍|%|パーセント|億|万|千|百|カ国|か国|ヶ国|ケ国|歳|個|本|機|隻|発|トン|"
                          r"ドル|円|度|年間|日間|時間|カ月|か月|ヶ月|ケ月|週間|分|位|票|点|戸|世帯|社|校|台|枚|頭|席|議席|店|軒|棟|名|"
                          r"キロ|メートル|センチ|ミリ|グラム|リットル|ポイント|試合|勝|敗|ゴール)|どのくらい|どれくらい|どれほど|"
                          r"どれだけ|いくら|いくつ|規模|人数|割合|総額|金額|"
                          # a count by its noun: 得票数, 件数, 台数, 世帯数, 店舗数, 感染者数 (a ninth probe's: 山口恵氏の得票数は)
                          # asked about (は, を, ?), not a count a reason question is about (「なぜ患者数が増えたのか」)
                          r"(?:得票|票|件|台|世帯|戸|校|店舗|者)数(?=は|を|って|[?？]|$)|"
                          # a measure asked about (止まったリフトの長さは?: 「全長1420メートル」, which another lift's
                          # 「約1時間止まり」 led, a twenty-second probe's), its units in _MEASURES_JA
                          + _MEASURE_ASKED + r"(?:長さ|全長|距離|標高|重さ|面積|気温|温度)" + _MEASURE_END)),
    ("date", re.compile(r"いつ|何年|何月|何日|何曜|何時|時期|日付")),
    ("reason", re.compile(r"なぜ|何故|どうして|なんで|理由|原因|要因")),
    # not どこまで: how far, which is an amount (どこまで下がるか) or a place (どこまで進軍したか), so none in particular,
    # as どの程度 (どの程度重要か asks how much it matters, and opened with a sentence of dates)
    ("place", re.compile(r"どこ(?!まで)|何処|どの(?:国|地域|都市|町|場所|都道府県|県|市|村|区)|どちらの国|場所")),
    ("entity", re.compile(r"誰|だれ|何者|どの(?:人物|組織|機関|団体|企業|国際機関|政党|メディア)|"
                          # a kind of organisation the question ends by asking of (関与したハッカー集団は?, その組織の名前
                          # は?); not はどこ, which asks where it is, nor 勢力, a storm's strength too (a reviewer's)
                          r"(?:集団|組織|団体|グループ|企業|会社|政党|機関)(?:の(?:名前|名称))?(?:は|って)(?:何|なに)?"
                          r"(?:ですか|でしょうか|か)?[?？]?$")),
)
_INTERROGATIVES = frozenset({"何", "いつ", "どこ", "誰", "だれ", "何故", "なぜ", "どう", "如何", "どの", "どれ", "どちら",
                             "何処", "どんな", "何時", "何者", "幾ら", "いくら", "幾つ", "いくつ"})
# tokens that date an event without a digit
_TIME_WORDS = frozenset({"昨年", "今年", "来年", "先月", "今月", "来月", "先週", "今週", "来週", "昨日", "今日", "明日",
                         "同日", "翌日", "前日", "当日", "同年", "同月", "翌年", "前年", "翌月", "年末", "年初", "年内",
                         "上旬", "中旬", "下旬", "月末", "週末", "未明", "同夜", "本日", "今朝", "昨夜", "今夜"}
                        | {f"{d}曜{n}" for d in "月火水木金土日" for n in ("", "日")})  # 土曜日, 木曜
_DATE_UNITS = frozenset({"年", "月", "日", "年度", "世紀", "曜日", "時", "時半", "年代"})  # 8時半 is one word to Sudachi
_HALVES = frozenset({"前半", "後半", "延長"})  # a match's, whose minutes tell a time
# A number and a date unit measure a span, not a date, before these (3年以上, 6日前, 4年ぶり, 30日間 is one token) or
# after these (わずか6日, 約3年): "On which day did the offensive start?" is answered by 5月10日, not by 「訪問まであと
# わずか6日となったとき」.
_SPAN_AFTER = frozenset({"以上", "以内", "未満", "前", "後", "ぶり", "間", "足らず", "余り", "近く", "ほど", "程",
                         "連続", "目", "半"})
_SPAN_BEFORE = frozenset({"わずか", "僅か", "約", "およそ", "たった", "計", "最大", "最長", "最短", "丸"})
_REASON_SURFACES = frozenset({"ため", "為", "ので", "理由", "原因", "要因", "背景", "狙い", "目的", "動機", "せい",
                              "おかげ", "きっかけ"})
_DIGITS = re.compile(r"\d[\d,.]*")
_LENGTHS = frozenset({"メートル", "キロ", "キロメートル", "センチ", "ミリ", "m", "km"})
# the units of a measure a Japanese question asks about by its noun (リフトの長さは?: メートル)
_MEASURES_JA: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(_MEASURE_ASKED + r"(?:長さ|全長|距離|標高)" + _MEASURE_END), _LENGTHS),
    (re.compile(_MEASURE_ASKED + r"重さ" + _MEASURE_END), frozenset({"トン", "キログラム", "グラム", "kg"})),
    (re.compile(_MEASURE_ASKED + r"面積" + _MEASURE_END),
     frozenset({"平方メートル", "ヘクタール", "平方キロ", "平方キロメートル", "坪", "アール"})),
    (re.compile(_MEASURE_ASKED + r"(?:気温|温度)" + _MEASURE_END), frozenset({"度", "℃"})),
)
# "how many votes", "how many more people", "how many Japanese tourists": the noun an English question counts, the
# second word when the first is its adjective (not "of", "the", a comparative)
_COUNTED_EN = re.compile(r"\bhow\s+many\s+(?:(?:more|fewer|other|additional|new|of|the)\s+)*([a-z][a-z\-]+)"
                         r"(?:\s+([a-z][a-z\-]+))?")
# a possessive after "how many X" and the noun it counts ("how many kids' meals", "how many children's books": a
# reviewer's, whose kids were counted in 人)
_POSSESSED = re.compile(r"['’]s?\s+([a-z][a-z\-]+)")
# the words after "how many X" that are no noun it counts ("how many people were", "how many votes did")
_NOT_COUNTED = frozenset({"is", "are", "was", "were", "did", "do", "does", "have", "has", "had", "will", "would", "can",
                          "could", "of", "in", "at", "on", "for", "to", "from", "by", "with", "there", "the", "a", "an",
                          "they", "he", "she", "it", "we", "you", "and", "or", "so", "than", "that", "this", "these"})
# English nouns of counting and the Japanese counters that count them (the bridge's terms for a noun are its
# synonyms, not its counter: "people" is 人民, 国民, never 人; "times" is 時; a reviewer's)
_PERSONS = ("people", "persons", "residents", "patients", "passengers", "workers", "employees", "children", "students",
            "victims", "members", "participants", "tourists", "visitors", "spectators", "fans", "soldiers", "troops",
            "casualties", "deaths", "dead", "injured", "voters", "officials", "citizens", "candidates", "plaintiffs",
            "suspects", "evacuees", "users", "customers", "adults", "women", "men", "players", "staff", "refugees",
            "hostages", "prisoners", "delegates", "lawmakers", "doctors", "nurses", "teachers", "farmers", "athletes",
            # a seventeenth probe's "How many personnel were sent?" opened with 約1150台 (no counter asked)
            "personnel", "crew", "rescuers", "firefighters", "officers", "volunteers", "guards", "inspectors",
            "investigators", "protesters", "demonstrators", "survivors", "applicants", "climbers", "pilgrims",
            # a twentieth probe's "How many kids were hospitalised…?" opened with the outbreak's dates
            "kids", "pupils", "schoolchildren", "infants", "babies", "teenagers", "teens", "youths", "seniors",
            "guests", "travellers", "travelers", "commuters", "fishermen", "sailors", "drivers", "riders",
            "shoppers", "tenants", "occupants", "inmates", "journalists", "reporters", "experts", "fatalities",
            "wounded", "diners")
_COUNTERS_EN: dict[str, frozenset[str]] = {
    **dict.fromkeys(_PERSONS, frozenset({"人", "名"})),
    "times": frozenset({"回", "度"}), "seats": frozenset({"議席", "席"}), "votes": frozenset({"票"}),
    **dict.fromkeys(("households", "homes", "houses", "families"), frozenset({"世帯", "戸", "棟", "軒"})),
    "buildings": frozenset({"棟"}),
    **dict.fromkeys(("companies", "firms", "businesses"), frozenset({"社"})),
    **dict.fromkeys(("stores", "shops", "outlets", "branches"), frozenset({"店", "店舗"})),
    **dict.fromkeys(("cases", "incidents", "accidents", "complaints", "reports"), frozenset({"件"})),
    **dict.fromkeys(("countries", "nations"), frozenset({"カ国", "か国", "ヶ国", "ケ国", "箇国"})),
    "goals": frozenset({"ゴール", "点", "得点"}), "points": frozenset({"点", "ポイント"}),
    **dict.fromkeys(("vehicles", "cars", "trucks", "machines", "buses", "engines", "ambulances"), frozenset({"台"})),
    **dict.fromkeys(("items", "pieces", "products", "packs"), frozenset({"個", "点", "袋"})),
    **dict.fromkeys(("games", "matches"), frozenset({"試合"})), "wins": frozenset({"勝"}), "losses": frozenset({"敗"}),
    "months": frozenset({"か月", "カ月", "ヶ月", "ケ月", "箇月"}), "years": frozenset({"年間"}),
    "weeks": frozenset({"週間", "週"}), "days": frozenset({"日間"}), "hours": frozenset({"時間"}),
    "minutes": frozenset({"分間"}), "words": frozenset({"語"}), "characters": frozenset({"字", "文字"}),
    **dict.fromkeys(("missiles", "rockets", "shells"), frozenset({"発"})), "tons": frozenset({"トン"}),
    # a train is counted 本 (「計186本が運休」), a flight 便; a job by the people in it (「約600人を減らす」). Not
    # "services" (an app's 12種類, a reviewer's) nor "positions" (a ranking's 位)
    **dict.fromkeys(("trains", "flights"), frozenset({"本", "便"})), "jobs": frozenset({"人", "名"}),
    **dict.fromkeys(("ships", "vessels", "boats"), frozenset({"隻"})),
    **dict.fromkeys(("planes", "aircraft", "jets", "helicopters"), frozenset({"機"})),
    "pitches": frozenset({"球"}), "innings": frozenset({"回", "イニング"}), "strikeouts": frozenset({"三振", "個"}),
    # "home runs" ask in _UNITS_EN's 本 and 号, not in the bridge's terms for "runs" (点: the game's 「2点本塁打」), "home
    # games" in 試合; "home" counts nothing of its own
    "home": frozenset(),
}
_NUMERALS = frozenset({"十", "百", "千", "万", "億"})  # 何百人: the counter is 人
# the nouns a count is asked by (得票数, 件数, 店舗数, 感染者数) and the counters that count them, longest first
_COUNT_NOUNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("店舗", frozenset({"店", "店舗"})), ("世帯", frozenset({"世帯", "戸"})), ("得票", frozenset({"票"})),
    ("票", frozenset({"票"})), ("件", frozenset({"件"})), ("台", frozenset({"台"})), ("戸", frozenset({"戸", "世帯"})),
    ("校", frozenset({"校"})), ("人", frozenset({"人", "名"})), ("者", frozenset({"人", "名"})),
)
# units an English question asks for by its words alone ("how old": 歳; "what percentage": %)
_MONEY = frozenset({"円", "ドル", "ユーロ", "元", "ルーブル", "ウォン", "ポンド"})
_UNITS_EN: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"\bhow\s+old\b"), frozenset({"歳", "才"})),
    # a season's home runs are counted 本 and numbered 号 (「今季56号」, not the game's 「2点本塁打」); not "home games"
    (re.compile(r"\bhow\s+many\s+(?:home\s+runs|homers|homeruns)\b"), frozenset({"本", "号", "本塁打"})),
    # money: "how much … cost / sell for / pay …", "what was the price"; not "how much snow fell"
    (re.compile(r"\bhow\s+much\b(?:\s+\w+){0,8}?\s+(?:money|cost|costs|pay|paid|spend|spent|sell|sold|fetch|"
                r"fetched|worth|earn|earned|raise|raised|price|priced|yen|dollars?)\b|"
                r"\bwhat\s+(?:was|is|were|are)\s+the\s+(?:\w+\s+)?(?:price|cost|fare|fee)s?\b"), _MONEY),
    # a measure: "At what altitude did the rocket release the satellite?" (「高度およそ680キロで」, a probe's), "How high
    # was the tsunami?" (「宮古港で40センチ」, a twelfth probe's; not a rate's, a price's or a temperature's height)
    (re.compile(r"\b(?:what|which)\s+(?:altitude|height|depth|distance)\b|\bhow\s+(?:tall|deep)\b|"
                r"\bwhat\s+(?:was|is|were|are)\s+the\s+(?:[a-z\-]+\s+){0,2}?(?:height|altitude|depth|length)"
                + _PLACED + r"|"
                r"\bhow\s+high\b(?!.*\b(?:rates?|prices?|percent|percentage|temperatures?|costs?|inflation|"
                r"unemployment|shares?|levels?|interest|fees?|taxe?s?|ratings?|support|intensity|magnitude|"
                r"rain|rainfall|snow|snowfall|precipitation|pressure|scores?|numbers?|counts?|speeds?|winds?|"
                r"gusts?)\b)"),
     frozenset({"メートル", "キロ", "キロメートル", "センチ", "m", "km"})),
    # a distance: "How far offshore did the boat capsize?" (「沖合約18キロ」; 約6トン led, a twentieth probe's), "how far
    # away", "how far did it fly"; not how far a price or a share fell or rose, which is a degree
    (re.compile(r"\bhow\s+far\s+(?:offshore|off|away|from|out|inland|north|south|east|west|into|to)\b|"
                r"\bhow\s+far\b(?:\s+[a-z\-']+){0,5}?\s+(?:travel(?:l?ed)?|fly|flew|flown|walk(?:ed)?|drive|drove|"
                r"driven|swim|swam|swum|sail(?:ed)?|drift(?:ed)?|reach(?:ed)?)\b"),
     frozenset({"メートル", "キロ", "キロメートル", "センチ", "m", "km", "海里", "マイル"})),
    # a weight, not in キロ, which is kilometres too (「視界も約5キロ」 led "What weight is the ferry?", a reviewer's);
    # no speed, for the same reason (「1日400キロまで」 led "What speed was the bus going?", and a wind's 45メートル
    # passed over the typhoon's 「1時間に15キロの速さ」: a third reviewer's)
    (re.compile(r"\b(?:what|which)\s+weight\b|\bhow\s+heavy\b|\bwhat\s+(?:was|is|were|are)\s+the\s+"
                r"(?:[a-z\-]+\s+){0,2}?weight" + _PLACED), frozenset({"トン", "キログラム", "グラム", "kg"})),
    (re.compile(r"\b(?:what|which)\s+(?:share|percentage|percent|proportion)\b|\bhow\s+many\s+percent|"
                r"\bwhat\s+(?:was|is|were|are)\s+the\s+(?:[a-z\-]+\s+){0,2}?turnout" + _PLACED),
     frozenset({"%", "％", "パーセント", "割", "ポイント"})),
)


def classify(question: str, lang: str, before: int | None = None) -> Kind:
    """The kind of answer a question asks for; 'statement' when no cue says otherwise.

    English fronts its question word ("How long did they talk when they met?" asks for a duration), Japanese puts
    the asked-for part before the final predicate (原因となった国はどこか asks for a place): the first cue wins in
    English, the last in Japanese; at one position, the earlier kind in the table. With `before`, only a cue that
    starts before that character counts."""
    text = question.lower() if lang == "en" else question
    best: tuple[int, int, Kind] | None = None
    for order, (kind, cue) in enumerate(_EN if lang == "en" else _JA):
        for m in cue.finditer(text):
            if before is not None and m.start() >= before:
                break
            key = (m.start() if lang == "en" else -m.start(), order, kind)
            if best is None or key < best:
                best = key
    return best[2] if best else "statement"


def is_interrogative(term: str) -> bool:
    """A question word (何, いつ, 何人 …): it names the gap, not the topic, so it is no evidence."""
    return term in _INTERROGATIVES or (term.startswith("何") and len(term) <= 3)


def question_numbers(question: str, tokens: Sequence[Token]) -> frozenset[str]:
    """The numbers a question already states (digits without separators, and Sudachi's 数詞 terms)."""
    found = {m.group().replace(",", "").rstrip(".") for m in _DIGITS.finditer(question)}
    found |= {t.term for t in tokens if t.term and len(t.pos) > 1 and t.pos[1] == "数詞"}
    return frozenset(found)


def asked_counters(question: str, tokens: Sequence[Token], terms_of: Callable[[str], Collection[str]],
                   is_counter: Callable[[str], bool] = lambda term: True) -> frozenset[str]:
    """The counters or units a question asking for an amount names: the one after its 何 (何位: 位, 何票: 票, 何人: 人;
    not the calendar's 何年, 何月, 何日, which ask when; 何百人: 人), or, in English, the counters of the noun after
    "how many" (`_COUNTERS_EN`: "votes" 票, "people" 人; else those of the Japanese terms `terms_of` gives for it that
    `is_counter` takes for one: a suffix or a counting noun to Sudachi), and the unit of "how old" (歳) or "what
    percentage" (%). A sentence that gives a
    number in that counter answers it before one that gives another number: "How many votes did she get?" is
    answered by 「3万1,500票」, not by 「当選が決まった12日夜」; 何位 by 「7位」, not by 「5得点」."""
    found: set[str] = set()
    for i, tok in enumerate(tokens):
        unit, after = "", None
        if tok.surface == "何" or (tok.surface[:1] == "何" and tok.surface[1:] in _NUMERALS):  # 何, 何百 (one word)
            j = i + 1
            while j < len(tokens) and tokens[j].surface in _NUMERALS:  # 何百人, 何万人
                j += 1
            if j < len(tokens) and counter_term(tokens[j].pos):
                unit, after = tokens[j].surface, tokens[j]
        elif (tok.surface.startswith("何") and 2 <= len(tok.surface) <= 3 and tok.pos[:1] == ("名詞",)
              and tok.surface != "何者"):  # 何人, 何回, 何歳: one word
            unit = tok.surface[1:]
        if tok.surface == "いくら":  # 赤字はいくら?: an amount of money
            found |= _MONEY
        # a count by its noun, one word or two (得票数: 票; 店舗 + 数: 店舗; 感染者 + 数: 人)
        counted_noun = tok.surface[:-1] if tok.surface.endswith("数") and len(tok.surface) > 1 else (
            tokens[i - 1].surface if tok.surface == "数" and i > 0 else "")
        found |= next((units for noun, units in _COUNT_NOUNS if counted_noun.endswith(noun)), frozenset())
        if unit and unit not in _DATE_UNITS and not unit.startswith("曜"):
            found.add(unit)
            if after is not None and after.term:  # カ国 as the dictionary writes it: 箇国
                found.add(after.term)
    text = question.lower()
    if m := _COUNTED_EN.search(text):
        # the noun, or an adjective and its noun ("how many Japanese tourists", "how many words long"): the table's
        # counters of either word, else the bridge's terms that count, not a calendar's unit (5月 is May)
        words = [w for w in m.groups() if w and w not in _NOT_COUNTED]
        if ((possessed := _POSSESSED.match(text, m.end(1))) and m.group(1) in _PERSONS
                and possessed.group(1) not in _NOT_COUNTED):
            words = [possessed.group(1)]  # "how many kids' meals": the meals; not "how many days' closure"
        counted_by = [_COUNTERS_EN[w] for w in words if w in _COUNTERS_EN]
        for units in counted_by:
            found |= units
        if not counted_by:
            found |= {t for w in words for t in terms_of(w) if not t.isascii() and t not in _DATE_UNITS and is_counter(t)}
    for cue, units in _UNITS_EN:
        if cue.search(text):
            found |= units
    for cue, units in _MEASURES_JA:
        if cue.search(question):
            found |= units
    if TEXT_LENGTH.search(question):  # "How long was the joint statement?": 「7,000語に及ぶこの文書」 (read as written)
        found |= set(TEXT_UNITS)
    return frozenset(found)


def counted(tokens: Sequence[Token], counters: Collection[str], known_numbers: Collection[str]) -> bool:
    """Whether a sentence gives a number new to the question in one of `counters` (3万1,500票, 7位; 2人, which Sudachi
    reads as one word); an age asked for (歳) by the news's brackets after a person too: 「大塚隆之被告(52)」 (a tenth
    probe's: "How old is the defendant?" never gave it)."""
    for i, tok in enumerate(tokens):
        if _is_number(tok) and tok.term not in known_numbers and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt.surface in counters or (nxt.term is not None and nxt.term in counters):
                return True
            if "歳" in counters and _bracketed_age(tokens, i):
                return True
        elif (m := _COUNT_WORD.fullmatch(tok.surface)) and m.group(1) not in known_numbers and m.group(2) in counters:
            return True
    return False


def _bracketed_age(tokens: Sequence[Token], i: int) -> bool:
    """Whether the number at `i` is an age in brackets after a person's name, or after a title or さん that follows one:
    佐藤正一さん(74), 大塚隆之被告(52), 石原正和頭取（61）; not a year (2024), a list's (1), nor an unnamed person's
    (一等航海士の男性（34）, whom "How old is…?" cannot name)."""
    if not (2 <= i < len(tokens) - 1 and tokens[i - 1].surface in ("(", "（") and tokens[i + 1].surface in (")", "）")):
        return False
    digits = tokens[i].surface
    if not (digits.isdigit() and 0 < int(digits) < 120):
        return False
    k = i - 2  # back over the title or さん (at most two words) to the name
    for _ in range(3):
        if k < 0:
            return False
        if tokens[k].pos[2:3] == ("人名",):
            return True
        if tokens[k].pos[:1] != ("名詞",) and tokens[k].pos[1:2] != ("名詞的",):
            return False
        k -= 1
    return False


def counter_term(pos: Sequence[str]) -> bool:
    """Whether Sudachi's part of speech `pos` is a counter's, one that counts what a number before it counts: a suffix
    (位, 人) or a noun that may count (票, 戸, メートル)."""
    return tuple(pos[:1]) == ("接尾辞",) or tuple(pos[2:3]) == ("助数詞可能",)


_COUNT_WORD = re.compile(r"(\d+)(\D{1,2})")  # a number and its counter read as one word: 2人


def _is_number(tok: Token) -> bool:
    return len(tok.pos) > 1 and tok.pos[1] == "数詞" and tok.term is not None and not is_interrogative(tok.term)


def has_evidence(tokens: Sequence[Token], kind: Kind, known_terms: Collection[str], known_numbers: Collection[str]) -> bool:
    """Whether a sentence holds a token of `kind` that is new to the question (not one of its terms or numbers)."""
    if kind == "statement":
        return False
    for i, tok in enumerate(tokens):
        pos = tok.pos
        if kind == "number":
            if _is_number(tok) and tok.term not in known_numbers:
                return True
        elif kind == "date":
            if tok.surface in _TIME_WORDS or tok.term in _TIME_WORDS:
                return True
            if _is_number(tok) and tok.term not in known_numbers and i + 1 < len(tokens) \
                    and _date_unit(tokens, i) and not _span(tokens, i) and not _per(tokens, i):
                return True
        elif kind == "reason":
            if tok.surface in _REASON_SURFACES or (tok.surface in ("から", "ので") and pos[1:2] == ("接続助詞",)):
                return True
        elif len(pos) > 2 and pos[1] == "固有名詞" and tok.term is not None and tok.term not in known_terms:
            if kind == "place" and pos[2] == "地名":
                return True
            if kind == "entity" and pos[2] in ("人名", "組織名", "一般"):
                return True
    return False


def _date_unit(tokens: Sequence[Token], i: int) -> bool:
    """Whether the number at `i` dates something by the unit after it: 2025年, 5月, 3時; minutes only on a clock (3時15分)
    or a match's (後半38分, 後半の38分: "When did he score?"), as 5分で is a length of time."""
    unit = tokens[i + 1].surface
    if unit != "分":
        return unit in _DATE_UNITS
    before = tokens[i - 1].surface if i > 0 else ""
    if before == "の" and i > 1:  # 後半の38分
        before = tokens[i - 2].surface
    # an hour's minutes only after its number (3時15分, not その時5分)
    return before in _HALVES or (before == "時" and i > 1 and _is_number(tokens[i - 2]))


# what follows "a day" or "a year" that counts per it: 1日当たり, 1日平均; 1日約2800人 (no particle between)
_PER_WORDS = frozenset({"あたり", "当たり", "平均"})
_ABOUT = frozenset({"約", "およそ", "最大", "延べ", "計"})
_PER_COUNT = frozenset({"度", "回"})
# 「1日30歳の誕生日を迎えた」, 「1日で100周年」, 「発生から1日で1か月」: the 1st (reviewers')
_NOT_PER = frozenset({"歳", "歳児", "周年", "代", "か月", "カ月", "ヶ月", "ケ月", "ヵ月", "箇月", "週間", "日間", "年間"})


def _per(tokens: Sequence[Token], i: int) -> bool:
    """Whether the 1 at `i` and its 日 or 年 count per day or per year (「1日16往復」, 「1日約2800人」, 「1日当たり」,
    「1日で300ミリ」, 「1年に1度」) rather than give the 1st: a date question was opened by 「1日16往復の代行バス」 in place
    of the line's reopening date (a probe's). Not 12月1日; not where the 1st is as likely (「1日に3人が」,
    「1日に約5000人が訪れた」), nor before a time or an ordinal (「1日12時」, 「1日7時半」, 「1日2回目の会見」,
    「1日で10日連続」: a reviewer's)."""
    if tokens[i].surface != "1" or tokens[i + 1].surface not in ("日", "年") or (
            i > 0 and tokens[i - 1].surface in ("月", "年")):
        return False

    def counted(j: int, counters: Collection[str] | None = None) -> bool:  # a number at j in a counter, no ordinal
        if j + 1 >= len(tokens) or not _is_number(tokens[j]):
            return False
        counter = tokens[j + 1].surface
        ordinal = counter.endswith("目") or (j + 2 < len(tokens) and tokens[j + 2].surface == "目")
        if tokens[j + 1].pos[:1] not in (("名詞",), ("接尾辞",)):  # 10:00, a clock's
            return False
        if ordinal or counter in _DATE_UNITS or counter in _NOT_PER or counter[:1] in ("時", "分"):
            return False
        return counters is None or counter in counters

    after = tokens[i + 2].surface if i + 2 < len(tokens) else ""
    if after in _PER_WORDS:
        return True  # 1日当たり, 1日平均
    if after in _ABOUT or after == "で":
        return counted(i + 3)  # 1日約2800人, 1日で300ミリ
    if after == "に":
        return counted(i + 3, _PER_COUNT)  # 1年に1度, 1日に2回
    return counted(i + 2)  # 1日16往復


def _span(tokens: Sequence[Token], i: int) -> bool:
    """Whether the number at `i` and the unit after it measure a span (わずか6日, 3年以上) rather than give a date."""
    after = tokens[i + 2].surface if i + 2 < len(tokens) else ""
    before = tokens[i - 1].surface if i > 0 else ""
    return after in _SPAN_AFTER or before in _SPAN_BEFORE
