#!/usr/bin/env python3
"""Japanese text classification: manabu beside a plain baseline, and tokenizer throughput.

Sets (``../shared/data/text_ja/``): jrte_sentiment (hotel review sentiment, 3 classes),
chabsa_sentence_polarity (financial-report sentence polarity, 3 classes; only the sentence is
given, the opinion counts beside it would give the label away) and livedoor_news (9 news
categories from title and body).

Each set is split once, stratified, 80% to train and 20% held out (seed 0). The baseline is
character 1-3-gram TF-IDF with scikit-learn's LogisticRegression at its defaults; manabu trains
on the same 80% with ``--time-limit`` and predicts the same 20%. Both are scored on the held-out
rows only: accuracy and macro-F1, with the training time.

Throughput: documents per second of each installed tokenizer on the first 500 texts of each set
(after loading its dictionary, which is timed apart; run it alone for the load times, since
training has loaded the dictionaries already).

    python bench/text_ja.py --time-limit 120
    python bench/text_ja.py --throughput-only
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

import manabu
from manabu.features.tokenize import JAPANESE, analyser, installed

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "text_ja"
SETS = {  # name: (text columns, target)
    "jrte_sentiment": (["text"], "label"),
    "chabsa_sentence_polarity": (["sentence"], "polarity"),
    "livedoor_news": (["title", "body"], "category"),
}


def split(name: str):
    columns, target = SETS[name]
    frame = pd.read_parquet(DATA / f"{name}.parquet")[[*columns, target]]
    train, test = train_test_split(frame, test_size=0.2, stratify=frame[target], random_state=0)
    return train.reset_index(drop=True), test.reset_index(drop=True), columns, target


def baseline(train, test, columns, target):
    joined = lambda f: f[columns].fillna("").agg("\n".join, axis=1)  # noqa: E731
    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LogisticRegression(max_iter=1000))
    start = time.perf_counter()
    model.fit(joined(train), train[target])
    return model.predict(joined(test)), time.perf_counter() - start


def with_manabu(train, test, target, time_limit: float, tokenizer: str):
    start = time.perf_counter()
    predictor = manabu.fit(train, target=target, time_limit=time_limit, tokenizer=tokenizer, verbose=False)
    seconds = time.perf_counter() - start
    return predictor.predict(test.drop(columns=[target])).to_numpy(), seconds, predictor


def scores(truth, predicted) -> str:
    return f"{accuracy_score(truth, predicted):.4f} / {f1_score(truth, predicted, average='macro'):.4f}"


def throughput(names: list[str]) -> None:
    print("\n| tokenizer | load s | " + " | ".join(f"{n} docs/s" for n in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    texts = {n: pd.read_parquet(DATA / f"{n}.parquet")[SETS[n][0][-1]].fillna("").tolist()[:500] for n in names}
    for tokenizer in (*JAPANESE, "english"):
        if not installed(tokenizer):
            print(f"| {tokenizer} | not installed |")
            continue
        start = time.perf_counter()
        tool = analyser(tokenizer)
        load = time.perf_counter() - start
        rates = []
        for name in names:
            start = time.perf_counter()
            for text in texts[name]:
                tool.words(text)
            rates.append(f"{len(texts[name]) / (time.perf_counter() - start):,.0f}")
        print(f"| {tokenizer} | {load:.2f} | " + " | ".join(rates) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--tokenizer", default="auto")
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--throughput-only", action="store_true", help="only the tokenizers' speed")
    args = parser.parse_args()
    if args.throughput_only:
        throughput(args.sets)
        return
    print(f"held-out accuracy / macro-F1 (80/20 stratified split, seed 0); manabu --time-limit {args.time_limit:g}"
          f" --tokenizer {args.tokenizer}\n")
    print("| set | rows | classes | baseline acc / F1 | baseline s | manabu acc / F1 | manabu s | manabu's model |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name in args.sets:
        train, test, columns, target = split(name)
        base, base_s = baseline(train, test, columns, target)
        ours, ours_s, predictor = with_manabu(train, test, target, args.time_limit, args.tokenizer)
        print(f"| {name} | {len(train) + len(test):,} | {train[target].nunique()} | {scores(test[target], base)} | "
              f"{base_s:.1f} | {scores(test[target], ours)} | {ours_s:.1f} | {predictor.record.best_model} |",
              flush=True)
    throughput(args.sets)


if __name__ == "__main__":
    main()
