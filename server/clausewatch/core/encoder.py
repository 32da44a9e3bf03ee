"""The fine-tuned clause encoder at run time: onnxruntime + tokenizers, no torch.

`detector/` holds model.onnx (all-MiniLM-L6-v2 fine-tuned by training/train_encoder.py, int8),
its tokenizer.json, and detector.json (the ids in output order, thresholds, the hashes of both
files and the figures of the run that made them). A file whose hash differs from the record is
refused: the server then says so and runs without the model instead of trusting unknown weights.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

DETECTOR_DIR = Path(__file__).with_name("detector")
# Calls scored side by side (settings.model_threads passes another).
THREADS = 2
CACHE_SIZE = 50_000  # clause texts; about 250 bytes of floats each, so ~15 MB at most
# What one inference costs beyond its tokens, in tokens: onnxruntime's fixed cost per call is about
# what 16 tokens of a clause cost (bench/adversarial.md measures tokens and CPU together).
CALL_COST_TOKENS = 16
TOKENIZE_SLICE = 32
# Windows of one clause: they overlap by this many tokens, and at most MAX_WINDOWS are read (about
# 400 tokens, 300 words: longer "clauses" are run-on text, and the cap bounds what one costs).
WINDOW_OVERLAP = 32
MAX_WINDOWS = 4


class ModelError(RuntimeError):
    """The model files are missing, altered or unreadable."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class ClauseEncoder:
    """Clause texts -> one probability per taxonomy id (in `self.ids` order)."""

    def __init__(self, folder: Path = DETECTOR_DIR, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        record_path = folder / "detector.json"
        if not record_path.is_file():
            raise ModelError(f"no detector model in {folder}")
        self.record = json.loads(record_path.read_text(encoding="utf-8"))
        for name, want in self.record["files_sha256"].items():
            if _sha256(folder / name) != want:
                raise ModelError(f"{folder / name} does not match the hash recorded in detector.json")
        self.ids: list[str] = self.record["ids"]
        self.thresholds = np.array([self.record["thresholds"][i] for i in self.ids], dtype=np.float32)
        self.high = np.array([self.record["high"][i] for i in self.ids], dtype=np.float32)
        # The lower bar at which a built-in rule's hit must agree (core/detect.py); a model chosen
        # without one has a single bar.
        with_rule = self.record.get("with_rule", {})
        self.with_rule = np.array([min(with_rule.get(i, 1.0), self.record["thresholds"][i]) for i in self.ids],
                                  dtype=np.float32)
        high_with_rule = self.record.get("high_with_rule", self.record["high"])
        self.high_with_rule = np.array([high_with_rule[i] for i in self.ids], dtype=np.float32)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # the file pads to 128; one clause per call needs no padding
        # A clause longer than the model's window is read in overlapping windows, and each id takes
        # its surest window: a clause's point can come after its 128th token (a purpose late in a
        # long list), which a truncated reading never sees.
        self.tokenizer.enable_truncation(int(self.record.get("max_tokens", 128)), stride=WINDOW_OVERLAP)
        # One clause per call is too small a job to split across cores; instead `threads` calls run
        # side by side on one single-threaded session (run() releases the GIL and is thread-safe).
        self.threads = max(1, threads or THREADS)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        # A clause scored once is not scored again: policies share boilerplate, and a changed page
        # is mostly the clauses of its previous version.
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def probabilities(self, texts: list[str], budget: int | None = None) -> list[np.ndarray | None]:
        """Probabilities per text, or None for a text left unread because `budget` (in tokens, see
        `cost`) ran out. Texts are read in order and a cached text costs nothing, so asking again
        with the same texts and budget reads on where the last call stopped. At least one text is
        read per call, so a caller that repeats always finishes."""
        out: list[np.ndarray | None] = [None] * len(texts)
        todo: dict[str, list[int]] = {}
        for n, text in enumerate(texts):
            key = " ".join(text.split())
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                out[n] = hit
            else:
                todo.setdefault(key, []).append(n)
        if todo:
            keys, windows = self._encode_within(list(todo), budget)
            flat = [w for ws in windows for w in ws]
            scored = iter(self._run(flat))
            for key, ws in zip(keys, windows):
                probs = np.max([next(scored) for _ in ws], axis=0)
                for n in todo[key]:
                    out[n] = probs
                self._cache[key] = probs
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return out

    def _encode_within(self, keys: list[str], budget: int | None) -> tuple[list[str], list[list[list[int]]]]:
        """The first texts whose reading fits `budget` (at least one), with the token ids of each
        one's windows. Tokenised a slice at a time: the tokenizer reads a whole text before cutting
        it, so a page of long clauses would otherwise cost more to tokenise than the budget reads."""
        taken: list[list[list[int]]] = []
        spent = 0
        for first in range(0, len(keys), TOKENIZE_SLICE):
            for e in self.tokenizer.encode_batch(keys[first:first + TOKENIZE_SLICE], add_special_tokens=True):
                windows = [e.ids] + [o.ids for o in e.overflowing][:MAX_WINDOWS - 1]
                spent += sum(self.cost(len(w)) for w in windows)
                if budget is not None and taken and spent > budget:
                    return keys[:len(taken)], taken
                taken.append(windows)
        return keys, taken

    @staticmethod
    def cost(tokens: int) -> int:
        """What reading one clause of `tokens` tokens costs, in tokens: the unit of a request's model budget."""
        return tokens + CALL_COST_TOKENS

    def _run(self, encoded: list[list[int]]) -> np.ndarray:
        """One clause per call, unpadded. The int8 model quantises its activations with one scale
        per call, so a clause scored in a batch would depend on its neighbours (up to 0.03 in
        probability): one at a time, the same clause always gets the same answer."""
        result = np.zeros((len(encoded), len(self.ids)), dtype=np.float32)

        def score(first: int, step: int) -> None:
            for n in range(first, len(encoded), step):
                ids = np.asarray([encoded[n]], dtype=np.int64)
                logits = self.session.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
                result[n] = 1.0 / (1.0 + np.exp(-logits[0]))

        # Scored on threads of their own, never on the request's: the request's CPU budget
        # (budget.Budget) guards the stages that hostile input can make superlinear, while the
        # model's cost is linear and bounded in tokens per request (the `budget` above).
        step = min(self.threads, len(encoded)) or 1
        workers = [threading.Thread(target=score, args=(k, step), name="clausewatch-encoder") for k in range(step)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        return result
