"""Inner-product search over the candidate pool: faiss (flat, IVF, HNSW, GPU) or brute-force
numpy, with stable ids, adds and removes while serving.

faiss labels are positions in append-only arrays; a removed candidate is a tombstone that
searches skip (HNSW cannot delete) and that a compaction drops once tombstones pile up.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ("flat", "ivf", "hnsw", "numpy")


def choose_kind(requested: str, pool_size: int, large_pool: int) -> str:
    if requested != "auto":
        return requested
    return "flat" if pool_size < large_pool else "hnsw"


def gpu_available() -> bool:
    import faiss

    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


class CandidateIndex:
    def __init__(
        self,
        dim: int,
        kind: str = "flat",
        nlist: int | None = None,
        nprobe: int = 16,
        hnsw_m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 256,
        use_gpu: bool = True,
    ):
        if kind not in KINDS:
            raise ValueError(f"index kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self.dim, self.kind = int(dim), kind
        self.options = {
            "nlist": nlist,
            "nprobe": nprobe,
            "hnsw_m": hnsw_m,
            "ef_search": ef_search,
            "ef_construction": ef_construction,
        }
        self.max_norm = 0.0  # HNSW: the M of the inner-product-to-L2 reduction
        self.use_gpu = use_gpu
        self.vectors = np.zeros((0, self.dim), np.float32)  # by label
        self.ids = np.zeros(0, np.int64)  # external id by label
        self.alive = np.zeros(0, bool)
        self.label_of: dict[int, int] = {}
        self.faiss: Any = None

    # -- building ----------------------------------------------------------------------
    @classmethod
    def build(
        cls, vectors: np.ndarray, ids: np.ndarray | None = None, kind: str = "flat", **options: Any
    ) -> CandidateIndex:
        vectors = np.ascontiguousarray(vectors, np.float32)
        index = cls(vectors.shape[1], kind, **options)
        index.add(np.arange(len(vectors)) if ids is None else np.asarray(ids), vectors)
        return index

    def _new_faiss(self, train_on: np.ndarray) -> Any:
        import faiss

        if self.kind == "hnsw":
            # HNSW searches inner products poorly (measured: 47% exact top-1 on 30k real
            # candidates); an extra coordinate sqrt(M^2 - |x|^2) turns the largest inner
            # product into the nearest L2 neighbour (Bachrach et al. 2014): 93%.
            self.max_norm = float(np.linalg.norm(train_on, axis=1).max()) if len(train_on) else 1.0
            index = faiss.IndexHNSWFlat(self.dim + 1, self.options["hnsw_m"])
            index.hnsw.efConstruction = self.options["ef_construction"]
            index.hnsw.efSearch = self.options["ef_search"]
            return index
        if self.kind == "ivf":
            n = max(len(train_on), 1)
            nlist = self.options["nlist"] or int(4 * math.sqrt(n))
            nlist = max(1, min(nlist, n // 39 or 1))  # faiss wants ~39 training points per cell
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(train_on if len(train_on) else np.zeros((1, self.dim), np.float32))
            index.nprobe = min(self.options["nprobe"], nlist)
            return index
        return faiss.IndexFlatIP(self.dim)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.asarray(ids, np.int64).reshape(-1)
        vectors = np.ascontiguousarray(vectors, np.float32).reshape(len(ids), self.dim)
        for i in ids.tolist():
            if i in self.label_of:
                self.remove([i])
        start = len(self.ids)
        self.vectors = np.concatenate([self.vectors, vectors])
        self.ids = np.concatenate([self.ids, ids])
        self.alive = np.concatenate([self.alive, np.ones(len(ids), bool)])
        self.label_of.update({int(i): start + n for n, i in enumerate(ids.tolist())})
        if self.kind == "numpy":
            return
        if self.faiss is None:
            self.faiss = self._new_faiss(vectors)
        elif self.kind == "hnsw" and np.linalg.norm(vectors, axis=1).max() > self.max_norm:
            self.compact()  # a longer vector than M: rebuild with a new M
            return
        self.faiss.add(self._to_l2(vectors) if self.kind == "hnsw" else vectors)

    def _to_l2(self, vectors: np.ndarray) -> np.ndarray:
        extra = np.sqrt(np.maximum(self.max_norm**2 - (vectors**2).sum(1, keepdims=True), 0.0))
        return np.ascontiguousarray(np.hstack([vectors, extra]), np.float32)

    def remove(self, ids: Any) -> int:
        removed = 0
        for i in ids:
            label = self.label_of.pop(int(i), None)
            if label is not None:
                self.alive[label] = False
                removed += 1
        dead = len(self.alive) - len(self.label_of)
        if dead > max(1000, len(self.alive) // 4):
            self.compact()
        return removed

    def compact(self) -> None:
        """Rebuild without tombstones."""
        keep = self.alive.copy()
        vectors, ids = self.vectors[keep], self.ids[keep]
        self.vectors = np.zeros((0, self.dim), np.float32)
        self.ids, self.alive, self.label_of, self.faiss = (
            np.zeros(0, np.int64),
            np.zeros(0, bool),
            {},
            None,
        )
        if len(ids):
            self.add(ids, vectors)

    def _tune_search(self) -> None:
        """Search-time settings, set again after faiss.read_index."""
        import faiss

        if self.kind == "hnsw":
            self.faiss.hnsw.efSearch = self.options["ef_search"]
        elif self.kind == "ivf":
            ivf = faiss.extract_index_ivf(self.faiss)
            ivf.nprobe = min(self.options["nprobe"], ivf.nlist)

    def __len__(self) -> int:
        return len(self.label_of)

    def __contains__(self, candidate_id: int) -> bool:
        return int(candidate_id) in self.label_of

    def vector(self, candidate_id: int) -> np.ndarray:
        return self.vectors[self.label_of[int(candidate_id)]]

    def describe(self) -> str:
        return f"{self.kind} inner product, {len(self)} candidates, dim {self.dim}"

    # -- searching -----------------------------------------------------------------------
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) per query row, best first; ids are -1 where fewer exist."""
        queries = np.ascontiguousarray(queries, np.float32).reshape(-1, self.dim)
        k = max(1, min(int(k), len(self)))
        if not len(self):
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        dead = len(self.alive) - len(self.label_of)
        fetch = min(k + dead, len(self.alive))
        if self.kind == "numpy":
            scores, labels = self._numpy_search(queries, fetch)
        else:
            scores, labels = self._faiss_search(queries, fetch)
        return self._finish(scores, labels, k)

    def _numpy_search(self, queries: np.ndarray, fetch: int) -> tuple[np.ndarray, np.ndarray]:
        scores = queries @ self.vectors.T
        scores[:, ~self.alive] = -np.inf
        top = np.argpartition(-scores, fetch - 1, axis=1)[:, :fetch]
        return np.take_along_axis(scores, top, 1), top

    def _faiss_search(self, queries: np.ndarray, fetch: int) -> tuple[np.ndarray, np.ndarray]:
        index = self.faiss
        if self.kind == "hnsw":
            padded = np.ascontiguousarray(
                np.hstack([queries, np.zeros((len(queries), 1))]), np.float32
            )
            dist, labels = index.search(padded, fetch)
            # |q - x'|^2 = |q|^2 + M^2 - 2 q.x, so the inner product comes back exactly
            norms = (queries**2).sum(1, keepdims=True)
            return (norms + self.max_norm**2 - dist) / 2, labels
        if self.use_gpu and len(queries) > 64 and self.kind in ("flat", "ivf") and gpu_available():
            return self._gpu_search(queries, fetch)
        return index.search(queries, fetch)

    def _gpu_search(self, queries: np.ndarray, fetch: int) -> tuple[np.ndarray, np.ndarray]:
        """Bulk scoring on the GPU: the index is copied there for this call only."""
        import faiss

        resources = faiss.StandardGpuResources()
        gpu_index = faiss.index_cpu_to_gpu(resources, 0, self.faiss)
        try:
            return gpu_index.search(queries, min(fetch, 2048))  # faiss-gpu's k limit
        finally:
            del gpu_index, resources

    def _finish(
        self, scores: np.ndarray, labels: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        out_s = np.full((len(labels), k), -np.inf, np.float32)
        out_i = np.full((len(labels), k), -1, np.int64)
        for row in range(len(labels)):
            lab, sc = labels[row], scores[row]
            ok = (lab >= 0) & self.alive[np.clip(lab, 0, None)]
            lab, sc = lab[ok], sc[ok]
            order = np.argsort(-sc, kind="stable")[:k]
            out_s[row, : len(order)] = sc[order]
            out_i[row, : len(order)] = self.ids[lab[order]]
        return out_s, out_i

    # -- files ------------------------------------------------------------------------------
    def save(self, directory: Path) -> list[Path]:
        """embeddings.npy (alive vectors), ids.npy, index.json and faiss.index."""
        self.compact()
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "embeddings.npy", self.vectors)
        np.save(directory / "ids.npy", self.ids)
        meta = {
            "kind": self.kind,
            "dim": self.dim,
            "options": self.options,
            "count": len(self),
            "max_norm": self.max_norm,
        }
        (directory / "index.json").write_text(json.dumps(meta, indent=1))
        files = [directory / "embeddings.npy", directory / "ids.npy", directory / "index.json"]
        if self.faiss is not None:
            import faiss

            faiss.write_index(self.faiss, str(directory / "faiss.index"))
            files.append(directory / "faiss.index")
        return files

    @classmethod
    def load(cls, directory: Path, kind: str | None = None) -> CandidateIndex:
        """The saved index; another ``kind`` (e.g. ``numpy``) is rebuilt from the embeddings."""
        meta = json.loads((directory / "index.json").read_text())
        vectors = np.load(directory / "embeddings.npy")
        ids = np.load(directory / "ids.npy")
        index = cls(meta["dim"], kind or meta["kind"], **meta["options"])
        if index.kind == meta["kind"] and (directory / "faiss.index").exists():
            import faiss

            index.faiss = faiss.read_index(str(directory / "faiss.index"))
            index.max_norm = float(meta.get("max_norm", 0.0))
            index._tune_search()
            index.vectors, index.ids = vectors, ids
            index.alive = np.ones(len(ids), bool)
            index.label_of = {int(i): n for n, i in enumerate(ids.tolist())}
        elif len(ids):
            index.add(ids, vectors)
        return index
