"""Small labelled review corpora made by the tests: English and Japanese sentences that praise or
complain (with negations that turn a word around), mixed with neutral clauses."""
from __future__ import annotations

import numpy as np
import pandas as pd

EN_NOUNS = ["room", "breakfast", "staff", "view", "bed", "bathroom", "location", "dinner"]
EN_GOOD = ["great", "excellent", "wonderful", "lovely", "delicious", "friendly", "spotless", "perfect"]
EN_BAD = ["terrible", "awful", "dirty", "rude", "broken", "noisy", "cold", "disgusting"]
EN_FILLER = ["We stayed two nights in March.", "It was a business trip.", "We came by train.",
             "The hotel is near the station.", "We booked it online.", "Check-in was at three."]

JA_NOUNS = ["部屋", "朝食", "スタッフ", "眺め", "ベッド", "風呂", "立地", "夕食"]
JA_GOOD = ["最高でした", "快適でした", "綺麗でした", "親切でした", "美味しかったです", "素晴らしかったです"]
JA_BAD = ["最悪でした", "不快でした", "汚かったです", "不親切でした", "うるさかったです", "ひどかったです"]
JA_NOT_GOOD = ["美味しくなかったです", "綺麗ではなかったです", "快適ではなかったです"]
JA_FILLER = ["出張で二泊しました。", "駅から歩いて行きました。", "ネットで予約しました。",
             "チェックインは三時でした。", "家族で利用しました。"]


def english_reviews(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        positive = i % 2 == 0
        clauses = [str(rng.choice(EN_FILLER))]
        for _ in range(int(rng.integers(1, 3))):
            noun = rng.choice(EN_NOUNS)
            if positive:
                clauses.append(f"The {noun} was {rng.choice(EN_GOOD)}.")
            elif rng.random() < 0.3:  # a negated good word is a complaint
                clauses.append(f"The {noun} was not {rng.choice(EN_GOOD)}.")
            else:
                clauses.append(f"The {noun} was {rng.choice(EN_BAD)}.")
        rng.shuffle(clauses)
        rows.append((" ".join(clauses), "positive" if positive else "negative"))
    return pd.DataFrame(rows, columns=["review", "label"])


def japanese_reviews(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        positive = i % 2 == 0
        clauses = [str(rng.choice(JA_FILLER))]
        for _ in range(int(rng.integers(1, 3))):
            noun = rng.choice(JA_NOUNS)
            if positive:
                clauses.append(f"{noun}は{rng.choice(JA_GOOD)}。")
            elif rng.random() < 0.3:
                clauses.append(f"{noun}は{rng.choice(JA_NOT_GOOD)}。")
            else:
                clauses.append(f"{noun}は{rng.choice(JA_BAD)}。")
        rng.shuffle(clauses)
        rows.append(("".join(clauses), "ポジティブ" if positive else "ネガティブ"))
    return pd.DataFrame(rows, columns=["レビュー", "評価"])
