"""Constants shared by the page tests and their fixtures (a module name of its own: conftest is not importable)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "page"  # git-ignored: screenshots for a person to look at
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
# Chromium 156 preloads the address bar's two popups (chrome://omnibox-popup.top-chrome/ and its AI mode page) in a
# renderer of their own for each window, which Playwright opens per context: ~0.6 s of CPU per test for a bar no test
# uses (docs/operations.md)
UNUSED_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]

HOSTILE_DOC = "950_markup_probe"
# Scraped pages can hold markup; none of it may ever run or become an element of the page. It also holds characters
# outside the BMP (an emoji, the rare kanji 𠮷) before its passages: a JavaScript string counts each as two units,
# the service's positions as one.
HOSTILE_SEED = """<script>window.__pwned = "title"; alert("title")</script>北極海航路に新しい砕氷船「オーロラ号」🚢が就航 ― 2025年04月01日 09:00
【概要】
北極海航路で新しい砕氷船「オーロラ号」が就航した。船長は𠮷田氏。<img src=x onerror="window.__pwned='img'; alert('img')">船はムルマンスクを出港し、ベーリング海峡まで航行する。

<a href="javascript:window.__pwned='link'; alert('link')">詳しくはこちら</a> 砕氷船オーロラ号の全長は百五十メートルで、厚さ二メートルの氷を割って進むことができる。<script>window.__pwned = "body"; alert("body")</script>

運航会社によると、オーロラ号は毎年夏に北極海航路を往復し、貨物船を先導する計画である。<svg onload="window.__pwned='svg'"></svg><iframe src="javascript:alert('frame')"></iframe>
"""
HOSTILE_QUESTION = "北極海航路に就航した新しい砕氷船の名前と全長は？"
