"""The words that tell a follow-up from a question that stands alone, and what an earlier turn carries over: words
that point back, that continue the last question, that only ask, and small talk (rag.retrieval.followup,
rag.retrieval.anchor, rag.retrieval.conversation, rag.retrieval.referent)."""

from __future__ import annotations

import re

# Words that point back at something said before. Strong ones always do ("How long was it?"); weak ones (personal
# pronouns, possessives, "that") usually point at a name earlier in the same question ("When did North Korea
# conduct its first test?"), so they count only when no name comes before them.
EN_STRONG = frozenset({"it", "itself", "this", "these", "those", "there", "then", "such", "same", "else", "former",
                       "latter"})
EN_WEAK = frozenset({"its", "he", "him", "his", "himself", "she", "her", "hers", "herself", "they", "them", "their",
                     "theirs", "themselves", "that"})
EN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
# An opener that changes the subject: what follows is a question of its own unless it points back ("By the way, what
# did Vance say?", ところで、バンスは何と言った?)
EN_NEW_TOPIC = re.compile(r"^\W*(?:(?:now|ok(?:ay)?|so|alright|all right)\s*[,.]?\s*){0,2}"  # "OK, next question: …",
                          # "Ok. Moving on: …", "OK so, next question: …"
                          r"(?:(?:by the way|btw|anyway(?:s)?)(?:\s*[,:;.!\-–—]+\s*|\s+)|(?:on (?:an|a different|another) "
                          r"note|changing the subject|(?:a |one )?(?:different|another|new|unrelated|separate) "
                          r"(?:question|topic)(?: now)?|something (?:else|different)|"
                          r"switching (?:topics?|gears)|moving on|next question)(?:\s*,?\s*please)?\s*[,:;.!\-–—]+\s*)",
                          re.IGNORECASE)
JA_NEW_TOPIC = re.compile(r"^\W*(?:(?:話は変わ(?:りますが|るけど|るが)|それはそうと)[\s、,。:：!！]*|"
                          r"(?:ところで|さて|話(?:題)?(?:を)?変え(?:ますが|て)|"
                          r"(?:別の(?:質問|話)|別件|次の質問)(?:なんだけど|ですが|だけど|です)?)[\s、,。:：!！]+|ところで(?=[^\sっとの]))")
# Japanese: ko/so/a demonstratives, third-person pronouns, and the 同- prefix of news style (同氏, 同国: "the said"),
# which point back at what was said; and じゃあ, which continues it
JA_POINTING = re.compile(r"それ|その|そこ|そう|そちら|これ|この|ここ|あれ|あの|あそこ|彼|同氏|同国|同社|同紙|同年|"
                         r"同日|同月|前者|後者|両者|他に|ほかに")
JA_REFERRING = re.compile(JA_POINTING.pattern + "|じゃあ")
# Question scaffolding that says nothing about the topic.
EN_FUNCTION = frozenset({
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were", "be", "been",
    "do", "does", "did", "has", "have", "had", "can", "could", "would", "will", "should", "may", "might", "a", "an",
    "the", "of", "to", "in", "on", "at", "for", "by", "with", "from", "about", "and", "or", "but", "so", "as", "than",
    "say", "said", "tell", "me", "us", "you", "we", "i", "more", "much", "many", "long", "old", "again", "exactly",
    "words", "word", "number", "one", "not", "any", "some",
})
# Ellipsis: a question that opens by continuing the last one ("And North Korea?", "What about China?", "じゃあ…").
EN_CONTINUING = re.compile(r"^\W*(?:and|but|also|so|then|what about|how about)\b", re.IGNORECASE)
JA_CONTINUING = re.compile(r"^\W*(?:じゃあ|じゃ|では|それで|で、|あと|ちなみに|また)")
# How a Japanese follow-up relates its name to the question before, no topic of its own: プーチンのほうは?,
# アメリカにとっては?, ヨーロッパに対しては? (Sudachi reads them as the verbs 取る and 対する, and the noun 方); not の方
# inside a word (停戦の方法, ロシアの方々) nor この方 (this person)
JA_RELATIONAL = re.compile(r"にとって|に対して|に対し|(?<![こそあど])(?:のほう|の方)(?![\u3005\u30a0-\u30ff\u4e00-\u9fff])")
# What a Japanese question asks about a name with, not a topic of its own: 米国については?, イランの場合は?
JA_ABOUT = re.compile(r"について|に関して|に関する|の場合")
# Japanese question words and light verbs carry no topic ("誰に招かれて来たの？" names nothing but 招く).
JA_FUNCTION = frozenset({"誰", "何", "いつ", "どこ", "どう", "何故", "なぜ", "どの", "どれ", "どちら", "どんな",
                         "いくら", "幾ら", "幾つ", "する", "ある", "いる", "なる", "来る", "行く", "言う", "思う"})
# Small talk: a greeting or a thanks before a question names no topic ("hi", then "China?" is China searched alone).
EN_SMALL_TALK = frozenset({"hi", "hello", "hey", "thanks", "thank", "thx", "please", "ok", "okay", "yes", "yeah",
                           "no", "bye", "cheers", "great", "cool", "sure", "welcome", "morning", "evening", "helpful",
                           "nice", "perfect", "awesome"})
JA_SMALL_TALK = re.compile(r"(?:どうも|はい|うん|ok|okay|オケ|オッケ)?"  # はい、ありがとうございます; OK、ありがとう
                           r"(?:ありがと(?:う)?(?:ございます|ございました)?|こんにちは|こんばんは|おはよう(?:ございます)?|"
                           r"よろしく(?:お願いします)?|了解(?:です|しました)?|わかりました|分かりました|承知しました|"
                           r"なるほど(?:ね)?|サンキュ|オッケ|はい|うん)+",  # (ー is cut before the match)
                           re.IGNORECASE)
# English words an earlier turn never contributes to a follow-up's search (question words, pronouns, small talk).
NOT_TOPIC = EN_FUNCTION | EN_STRONG | EN_WEAK | EN_SMALL_TALK
# The words a question about an article's source asks with (rag/retrieval/sources.py): "Who wrote the article?",
# "元記事はどこ?" name no topic, so such a follow-up is about the article the conversation was about.
EN_SOURCE = frozenset({"author", "authors", "writer", "wrote", "written", "write", "writes", "source", "sources",
                       "original", "originally", "published", "publish", "posted", "post", "article", "piece",
                       "analysis", "report", "story", "column", "newsletter", "editorial", "blog", "byline", "origin",
                       "cite", "give", "show", "come", "came", "appear", "appeared", "first", "url", "link"})
JA_SOURCE = frozenset({"元", "記事", "書く", "筆者", "著者", "作者", "執筆", "執筆者", "出典", "掲載", "配信", "分析",
                       "引用", "引用元", "元記事", "リンク", "ソース", "原典", "初出", "寄稿"})
# A follow-up about the article an earlier answer came from, or its author: "What else does the article say?", "What
# is the author's main argument?", この記事の結論は? (rag.retrieval.conversation keeps its search to that article).
EN_ARTICLE = re.compile(r"\b(?:the|this|that|its|his|her)\s+(?:article|piece|analysis|essay|column|op-ed|"
                        r"editorial|newsletter|blog|report)s?\b|\b(?:the|this|that)\s+(?:author|writer|columnist|"
                        r"blogger)(?:'s|’s)?\b", re.IGNORECASE)
JA_ARTICLE = re.compile(r"(?:この|その|同|本|当|あの)(?:記事|論考|論説|分析|ブログ|コラム|寄稿|社説)|筆者|著者|執筆者|"
                        r"(?<![製制工操創])作者|ブログ主")
# "this article", この記事: the one the conversation is on, whatever else the follow-up names
EN_THIS_ARTICLE = re.compile(r"\b(?:this|that)\s+(?:article|piece|analysis|essay|column|op-ed|editorial|newsletter|"
                             r"blog|report)\b", re.IGNORECASE)
JA_THIS_ARTICLE = re.compile(r"(?:この|その|同|本|当)(?:記事|論考|論説|分析|ブログ|コラム|寄稿|社説)")
# A question that asks what happened, not for a detail of it ("Tell me about the tuna auction", 関越道の立ち往生について
# 教えて, "What happened at the poultry farm?"), when its article's headline or lead names all it asks about
# (leads.overview.overview_lead): 「…の感染経路について教えて」 asks for a detail the lead does not give (a reviewer's).
EN_OVERVIEW = re.compile(r"\b(?:tell me about|what happened(?: (?:at|in|to|on|with))?|what is happening|"
                         r"what's happening|what is going on|what's going on|give me an overview of|an overview of|"
                         r"summari[sz]e)\b", re.IGNORECASE)
JA_OVERVIEW = re.compile(r"(?:について|に関して)(?:も)?(?:詳しく)?(?:教えて|説明して|知りたい)(?:ください|くれ|ほしい)?|"
                         r"で?何が(?:起き|起こ|あっ)たの?|で?何があったの?")
# A question comparing two things ("How do the bird flu and the snow articles differ?", 鳥インフルエンザと大雪の被害を
# 比べて): its answer may quote the article that matched fewer of its words (extractive.compares)
EN_COMPARING = re.compile(r"\b(?:compare[sd]?|comparing|comparison|differ|differs|difference|differences|versus|"
                          r"vs|both|similarit(?:y|ies)|in common)\b", re.IGNORECASE)
JA_COMPARING = re.compile(r"比べ|比較|(?<!間)違い|異なる|共通(?!テスト)|両方|双方|それぞれ")
# A follow-up asking for another thing than the answer gave ("What about the other one?", もう一つの記事は?)
EN_OTHER = re.compile(r"\b(?:other|another|second|else)\b", re.IGNORECASE)
JA_OTHER = re.compile(r"もう一つ|もうひとつ|別の|他の|ほかの|二つ目")

# A personal pronoun: after a question about who wrote an article, "he" is its author.
EN_PERSONAL = frozenset({"he", "him", "his", "himself", "she", "her", "hers", "herself"})
# Words before a name that place a person, or say what they spoke of, rather than name them: "the governor of
# Miyazaki" is no Miyazaki, whose words "What did he say?" asks for ("by Lavrov" and "according to Lavrov" name him)
EN_PLACING = frozenset({"of", "in", "at", "from", "on", "about", "for", "with", "near", "over", "against", "into",
                        "toward", "towards", "across", "inside", "outside", "within", "after", "before", "during",
                        "between", "among", "under", "regarding", "concerning"})
_ARTICLES = frozenset({"the", "a", "an"})
_PLACING_TAIL = 40  # characters before a name that hold its placing word and an article or two
_SPEECH = frozenset({"comment", "comments", "remark", "remarks", "word", "words", "response", "reaction", "view",
                     "views", "position", "statement", "statements", "quote", "quotes", "answer", "reply", "message"})


def placed(before: str) -> bool:
    """Whether a name that follows the text `before` is placed by it (its last word past an article is one of
    EN_PLACING: "…the governor of", "…of the"), not named as whom a question is about."""
    words = [w.lower() for w in EN_WORD.findall(before[-_PLACING_TAIL:])]  # the last words only: a long turn's
    # every name would otherwise read the whole text before it again
    while words and words[-1] in _ARTICLES:
        words.pop()
    if not words or words[-1] not in EN_PLACING:
        return False
    # "the remarks of Lavrov", "any comment from Lavrov": whose words they are
    return not (words[-1] in ("of", "from") and len(words) > 1 and words[-2] in _SPEECH)
# not 彼ら, 彼等, 彼女ら, 彼女たち ("they"), as EN_PERSONAL has no "they"
JA_PERSONAL = re.compile(r"彼(?!ら|等|たち|達|女ら|女等|女たち|女達)女?|同氏")
# What a follow-up says about an article's argument rather than a topic of its own ("What is his main argument?", 筆者の
# 結論は?): a follow-up about the article whose other words are only these asks about that article.
EN_DISCOURSE = frozenset({"argument", "arguments", "argue", "argues", "argued", "main", "point", "points", "key",
                          "conclusion", "conclusions", "conclude", "concludes", "concluded", "claim", "claims",
                          "claimed", "view", "views", "opinion", "opinions", "thesis", "summary", "summarize",
                          "summarise", "sum", "take", "stance", "position", "message", "idea", "ideas", "think",
                          "thinks", "thought", "believe", "believes", "mean", "means", "meant", "write", "writes",
                          "wrote", "written", "other", "others", "else", "central", "overall", "gist", "really",
                          "also", "further", "basically", "important", "end", "finally", "says", "saying",
                          "tell", "tells", "explain", "explains", "describe", "describes", "mention", "mentions",
                          "evidence", "give", "gives", "gave", "support", "supports", "example", "examples",
                          "reason", "reasons", "tone", "style", "theme", "themes", "topic", "topics", "focus"})
JA_DISCOURSE = frozenset({"結論", "主張", "論点", "要点", "要旨", "主旨", "趣旨", "意見", "見解", "考え", "他", "外", "ほか",
                          "述べる", "書く", "論じる", "最後", "まとめ", "まとめる", "全体", "言いたい", "伝える",
                          "結局", "何", "もの", "こと", "点", "他に", "纏める", "纏め", "要約", "概要", "言う",
                          "根拠", "理由", "例", "論調", "テーマ", "挙げる", "示す"})
