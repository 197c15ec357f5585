"""Leads: which picked sentence opens an answer, for a kind of question. A lead is a function (sentence, best) ->
claim: how strongly a sentence may open the answer in the best-scored one's place (0: it may not). `select`
(rag/answers/selection.py) puts first the picked sentence of the strongest claim, or one left out (scored under the
cutoff) of the best one's document whose claim is `common.COUNTED` or more and above every picked one's;
`extractive_answer` (rag/answers/extractive.py) chooses the lead by what the question asks:

- `detail.detail_lead`: a date, a number or a place (docs/answers.md, "The detail asked for, first");
- `holders.holder_lead`: who holds a role ("Who was the presiding judge?", 院長は誰か);
- `quotes.quote_lead`: what someone said (docs/answers.md, "The words asked for, first");
- `overview.overview_lead`: what happened, by the article's lead;
- `cause.cause_lead`: why, or what caused something.

`common` (the claims, a speaker's lead), `people` (whom a question names) and `roles` (the role a question names its
subject by) hold what several of them share; no lead imports another, and no module here imports the selection or
the answer."""

