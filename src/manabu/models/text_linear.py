"""Linear models and Naive Bayes on word and character TF-IDF: the strong, fast baselines of
text classification (spam, reviews, tickets, news), which the search tries before anything
slower whenever the data has a free-text column. And a linear model on the mean word vector of
Japanese text, from the vectors GiNZA's package ships (``manabu[vectors]``)."""
from __future__ import annotations

from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import ComplementNB

from manabu.base.trust import register_trusted
from manabu.features.preprocess import PreprocessKind
from manabu.features.word_vectors import vectors_available
from manabu.models.entry import ALL_TASKS, CLASSIFICATION, ModelEntry, Params
from manabu.models.space import Choice, Real

register_trusted("sklearn.naive_bayes.ComplementNB")


def make_linear(task: str, params: Params, seed: int):
    strength = params.get("strength", 0.1)  # larger means more regularisation, for both tasks
    if task == "regression":
        return Ridge(alpha=strength * 10.0)
    # newton-cg: on 4,400 Japanese reviews (11,570 TF-IDF columns, 3 classes) it converged in
    # 8 iterations and 0.11 s, where lbfgs took 72 iterations and 6.5 s
    return LogisticRegression(C=1.0 / strength, solver="newton-cg", max_iter=200,
                              class_weight=params.get("class_weight"))


def make_naive_bayes(task: str, params: Params, seed: int):
    # ComplementNB weighs each class against the rest, which keeps a large class from taking
    # over (Rennie et al. 2003); it beats MultinomialNB on uneven classes of text
    return ComplementNB(alpha=params.get("alpha", 0.3), norm=params.get("norm", False))


LINEAR_SPACE = {"strength": Real(1e-2, 1e1, log=True), "class_weight": Choice((None, "balanced"))}
NAIVE_BAYES_SPACE = {"alpha": Real(1e-2, 1.0, log=True), "norm": Choice((False, True))}

LINEAR = ModelEntry("text_linear", ALL_TASKS, PreprocessKind.TEXT, make_linear, LINEAR_SPACE,
                    cost=0.3, sparse_input=True, needs_text=True)
NAIVE_BAYES = ModelEntry("naive_bayes", CLASSIFICATION, PreprocessKind.TEXT_COUNTS, make_naive_bayes,
                         NAIVE_BAYES_SPACE, cost=0.1, sparse_input=True, needs_text=True)

# the vectors are of Japanese words: offered for Japanese and mixed text only
VECTORS = ModelEntry("text_vectors", ALL_TASKS, PreprocessKind.VECTORS, make_linear, LINEAR_SPACE,
                     cost=0.5, needs_text=True, extra="vectors", available=vectors_available,
                     languages=frozenset({"ja", "mixed"}))
