"""The functional API: ``manabu.fit`` and ``manabu.load``, thin wrappers over the objects.

With an ``output`` folder, ``fit`` runs what ``manabu train`` runs (``TrainRun``): read (a file,
a frame, or a database table or query), search with a checkpoint beside the folder (Ctrl-C keeps
the best model so far, ``resume=True`` continues), save the model with its report at once, and
log the run to MLflow.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from time import monotonic  # fit() has an argument named time
from typing import TYPE_CHECKING, Any

from manabu.training.config import DEFAULT_TIME_LIMIT, TrainConfig, with_target
from manabu.base.errors import ArtifactError, ConfigError

# The training machinery (the search, the zoo: scikit-learn, LightGBM, ...) is imported when a
# function needs it, so that reading the settings and the data, and their errors, come first
# and fast (``manabu train bad.csv``).
if TYPE_CHECKING:
    from manabu.training.multilabel import MultiLabelPredictor
    from manabu.training.predictor import Predictor


def fit(data, target: str | list[str] | None = None, *, time_limit: float = DEFAULT_TIME_LIMIT,
        metric: str | None = None, task: str | None = None, models: list[str] | None = None,
        validation: str | None = None, group: str | None = None, time: str | None = None, seed: int = 0,
        max_trials: int | None = None, preset: str = "balanced", search: str = "bayes",
        max_latency_ms: float | None = None, tokenizer: str = "auto", text_model: str | Path | None = None,
        image_model: str | Path | None = None, device: str = "auto",
        memory_limit: int | str | None = None, output: str | Path | None = None, overwrite: bool = False,
        report: bool = True, track: str | bool | None = None, table: str | None = None, query: str | None = None,
        checkpoint: str | Path | None = None, resume: bool = False,
        verbose: bool = True) -> Predictor | MultiLabelPredictor:
    """Train the best model found within ``time_limit`` seconds and return its Predictor.
    ``target`` is the column to predict (for a folder of images, one sub-folder per class, its
    default is the sub-folders' names, "label").

    ``data`` is a path (CSV, TSV, Parquet, Excel, JSON lines), a pandas or polars DataFrame, or a
    database URL with ``table`` or ``query``.
    ``tokenizer`` reads the words of Japanese text ("sudachi", "fugashi", "janome"; "auto" takes
    the first installed), and ``text_model`` is a local Transformer checkpoint to fine-tune on
    the text beside the other families.
    ``image_model`` is a pretrained ResNet on disk (a torchvision or timm state dict, a Hugging
    Face folder, or a manabu image model) that the "transfer" family fine-tunes on the images, and
    ``device`` where image networks train ("auto": the GPU when there is one, "cpu", "cuda").
    ``memory_limit`` is the memory the training may reach, in bytes or as "4G" or "512M" (by
    default what the process holds at the start and 80% of the memory free then): a model whose fit
    would pass it is skipped, with a notice.
    ``output`` is a model folder to save the predictor in, with its ``report.html`` (unless
    ``report=False``), as ``manabu train`` does; an existing folder is replaced only with
    ``overwrite=True``. The search's progress is then kept beside the folder, so that after
    Ctrl-C ``resume=True`` continues it (and replaces the folder). ``track`` logs the run to
    MLflow: a tracking URI, or True for the local store ``mlruns/mlflow.db``.
    ``checkpoint`` is a folder where the search saves its progress; ``resume=True`` continues
    the search saved there (after Ctrl-C, say) instead of starting again.
    ``target`` as a list of columns (multi-label) trains one model per label, each on the rows
    where its label is present, and returns a ``MultiLabelPredictor`` (``training.multilabel``).
    """
    if isinstance(target, (list, tuple)):
        return _fit_labels({**locals(), "models": tuple(models) if models else None})
    config = config_of({**locals(), "models": tuple(models) if models else None})
    started = monotonic()  # the time limit counts the reading of the data too
    listener = None
    if verbose:
        from manabu.training.progress import RichListener
        listener = RichListener()
    if output is not None:
        run = TrainRun(data, config, output, overwrite=overwrite, resume=resume, report=report, track=track,
                       table=table, query=query, checkpoint=checkpoint)
        run.train(listener)
        run.save()
        run.track()
        return run.predictor
    if track not in (None, False):
        raise ConfigError("tracking.needs_output")
    saved_search = None
    if checkpoint is not None:
        from manabu.search.checkpoint import Checkpoint
        saved_search = Checkpoint(checkpoint, {})
    elif resume:
        raise ConfigError("search.resume_missing", path="-")
    if table is not None or query is not None:
        from manabu.data.read import read
        data = read(data, table=table, query=query)
    from manabu.training.run import train as run_training
    return run_training(data, config, listener, checkpoint=saved_search, resume=resume, started=started,
                        report=False)  # nothing is drawn or saved here: the search may use that time


def _fit_labels(arguments: dict[str, Any]) -> MultiLabelPredictor:
    """``fit`` with several targets: one search per label, the time limit shared between them
    (``training.multilabel.fit_labels``), saved with its page when ``output`` is given. A
    checkpoint, resuming and tracking belong to one search, and are refused here."""
    from manabu.training.multilabel import fit_labels
    started = monotonic()
    for option in ("checkpoint", "resume", "track"):
        if arguments[option] not in (None, False):
            raise ConfigError("multilabel.unsupported_option", option=option)
    output = arguments["output"]
    if output is not None and Path(output).exists() and not arguments["overwrite"]:
        raise ArtifactError("artifact.exists", path=str(output))
    data = arguments["data"]
    if arguments["table"] is not None or arguments["query"] is not None:
        from manabu.data.read import read
        data = read(data, table=arguments["table"], query=arguments["query"])
    options = {f.name: arguments[f.name] for f in fields(TrainConfig) if f.name not in ("target", "time_limit")}
    drawn = output is not None and arguments["report"]
    model = fit_labels(data, list(arguments["target"]), time_limit=arguments["time_limit"],
                       verbose=arguments["verbose"], report=drawn, started=started, **options)
    if output is not None:
        model.save(output, overwrite=arguments["overwrite"], report=arguments["report"])
    return model


def config_of(arguments: dict[str, Any]) -> TrainConfig:
    """The settings of a call (``fit``'s, ``manabu train``'s): each ``TrainConfig`` field from the
    argument of the same name, so that none can be left out on the way."""
    return TrainConfig(**{field.name: arguments[field.name] for field in fields(TrainConfig)})


class TrainRun:
    """``manabu.fit(..., output=...)`` step by step, for a caller that shows each step (the CLI):
    the rows are read on creation (``frame``), then ``train``, ``draw_report``, ``save`` and
    ``track`` follow.

    The search keeps its progress in a checkpoint beside the output folder (or in ``checkpoint``),
    removed when Ctrl-C stops it before anything was worth keeping; ``resume=True`` continues the
    search saved there and replaces the folder. The report is drawn before the save, which writes
    the folder whole, with the report, or not at all: Ctrl-C during the save waits for its end
    (``interrupted_while_saving`` says it came).
    """

    def __init__(self, data, config: TrainConfig, output: str | Path, *, overwrite: bool = False,
                 resume: bool = False, report: bool = True, track: str | bool | None = None,
                 table: str | None = None, query: str | None = None, checkpoint: str | Path | None = None,
                 lang: str | None = None, started: float | None = None) -> None:
        from manabu.data.read import read

        # the time limit counts the reading of the data too; a command passes when its process
        # started (``started``, time.monotonic()), since its user waits from then
        self.started = monotonic() if started is None else started
        self.config = config
        self.output = Path(output)
        self.overwrite = overwrite or resume  # a resumed search replaces the folder it was stopped for
        self.resume = resume
        self.report = report
        self.tracking = track
        self.lang = lang
        self.frame = read(data, table=table, query=query) if isinstance(data, (str, Path)) else data
        self.config = config = with_target(config, self.frame)
        if self.output.exists() and not self.overwrite:
            raise ArtifactError("artifact.exists", path=str(self.output))
        from manabu.search.checkpoint import Checkpoint, checkpoint_folder  # after the data's errors
        self.checkpoint = Checkpoint(checkpoint if checkpoint is not None else checkpoint_folder(self.output), {})
        self.predictor: Predictor | None = None
        self.page: bytes | None = None
        self.saved: Path | None = None
        self.interrupted_while_saving = False

    def train(self, listener=None) -> Predictor:
        """Search and refit; Ctrl-C keeps the best model so far (raises when there is none)."""
        from manabu.training.run import train as run_training
        try:
            self.predictor = run_training(self.frame, self.config, listener, checkpoint=self.checkpoint,
                                          resume=self.resume, started=self.started, report=self.report)
        except KeyboardInterrupt:
            if not self.resume:
                self.checkpoint.remove()  # stopped before any model was scored: nothing worth resuming
            raise
        return self.predictor

    def draw_report(self) -> bytes | None:
        """The report page (None with ``report=False``): its charts are drawn until the limit
        less what the page's assembly and the save take (``SAVE_SECONDS``), the rest left out."""
        if self.report and self.page is None:
            from manabu.artifact.pages import page
            from manabu.report.charts import drawing_until
            from manabu.training.numbers import SAVE_SECONDS
            with drawing_until(self.started + self.config.time_limit - SAVE_SECONDS):
                self.page = page("training", self.predictor, self.lang)
        return self.page

    def save(self) -> Path:
        """The model folder with its report, written at once."""
        from manabu.artifact import REPORT_FILE
        page = self.draw_report()
        with _interrupts_deferred() as pressed:  # a model folder is saved whole or not at all
            self.saved = self.predictor.save(self.output, overwrite=self.overwrite, report=False,
                                             derived=None if page is None else {REPORT_FILE: page})
        self.interrupted_while_saving = pressed.is_set()
        return self.saved

    def track(self) -> tuple[str, str] | None:
        """Log the saved run to MLflow; its run id and tracking URI (None without ``track``)."""
        if self.tracking in (None, False):
            return None
        from manabu.training.tracking import track_run
        return track_run(self.predictor, self.saved, None if self.tracking is True else self.tracking)


@contextmanager
def _interrupts_deferred() -> Iterator[threading.Event]:
    """Hold Ctrl-C until the block ends, so a model folder is never left half-moved; yields an
    Event that says whether Ctrl-C was pressed meanwhile."""
    pressed = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.set())
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def load(path: str | Path):
    """A saved model (a ``Predictor``, a ``MultiLabelPredictor``, a ``ClusterModel``, an
    ``AnomalyModel``, a ``ReduceModel``, a ``SegmentationModel``, a ``Forecaster`` or an ``Agent``), after its
    files have been checked against the manifest."""
    from manabu.artifact import read_manifest
    from manabu.training.predictor import Predictor
    # Only the unsupervised, segmentation, forecasting and RL models record a "kind" at the top of their
    # manifest: their modules (clustering, anomalies, projections; the U-Net) are imported for
    # them alone.
    kind = read_manifest(path).get("kind")
    if kind == "multilabel":
        from manabu.training.multilabel import MultiLabelPredictor
        return MultiLabelPredictor.load(path)
    if kind == "segmentation":
        from manabu.segmentation.model import SegmentationModel
        return SegmentationModel.load(path)
    if kind == "forecast":
        from manabu.forecasting.model import Forecaster
        return Forecaster.load(path)
    if kind == "rl":
        from manabu.reinforcement.agent import Agent
        return Agent.load(path)
    if kind is not None:
        from manabu.unsupervised.model import load_unsupervised
        loaded = load_unsupervised(path)
        if loaded is not None:
            return loaded
    return Predictor.load(path)
