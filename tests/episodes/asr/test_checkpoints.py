import io
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

from episodes.asr.checkpoints import read_legacy_checkpoint, read_zip_checkpoint


class Global:
    """A name pickled as a global without importing it (torch is not installed here)."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self):
        raise AssertionError("only ever pickled")


class Tensor:
    """What torch pickles for a tensor: a view of a storage."""

    def __init__(self, key: str, array: np.ndarray, offset: int, shape: tuple, stride: tuple):
        self.key, self.array, self.offset = key, array, offset
        self.shape, self.stride = shape, stride


class TorchPickler(pickle._Pickler):
    """Writes tensors the way torch.save does: _rebuild_tensor_v2 over a persistent storage."""

    dispatch = pickle._Pickler.dispatch.copy()
    dispatch[Global] = lambda self, obj: self.write(
        pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode()
    )

    def persistent_id(self, obj):
        if isinstance(obj, tuple) and obj and obj[0] == "storage":
            return obj
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            kind = "FloatStorage" if obj.array.dtype == np.float32 else "LongStorage"
            storage = ("storage", Global("torch", kind), obj.key, "cpu", obj.array.size)
            args = (storage, obj.offset, obj.shape, obj.stride, False, OrderedDict())
            return Global("torch._utils", "_rebuild_tensor_v2"), args
        return NotImplemented


def pickled(state) -> bytes:
    out = io.BytesIO()
    TorchPickler(out, protocol=2).dump(state)
    return out.getvalue()


def zip_checkpoint(path, state, storages: dict[str, np.ndarray]):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model/data.pkl", pickled(state))
        for key, array in storages.items():
            archive.writestr(f"model/data/{key}", array.tobytes())


def legacy_checkpoint(path, state, storages: dict[str, np.ndarray]):
    with path.open("wb") as file:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, file, protocol=2)
        file.write(pickled(state))
        pickle.dump(list(storages), file, protocol=2)
        for array in storages.values():
            file.write(np.int64(array.size).tobytes() + array.astype("<f4").tobytes())


def test_it_reads_strided_views_of_a_zip_checkpoints_storages(tmp_path):
    weights = np.arange(12, dtype=np.float32)
    state = OrderedDict(
        weight=Tensor("0", weights, 0, (3, 4), (4, 1)),
        transposed=Tensor("0", weights, 2, (2, 2), (1, 4)),
        count=Tensor("1", np.array([7], dtype=np.int64), 0, (), ()),
    )
    zip_checkpoint(tmp_path / "w.pt", state, {"0": weights, "1": np.array([7], dtype="<i8")})

    arrays = read_zip_checkpoint(tmp_path / "w.pt")

    assert arrays["weight"].tolist() == weights.reshape(3, 4).tolist()
    assert arrays["transposed"].tolist() == [[2.0, 6.0], [3.0, 7.0]]
    assert arrays["count"].dtype == np.int64 and int(arrays["count"]) == 7


def test_it_reads_a_zip_checkpoints_state_dict_kept_beside_plain_values(tmp_path):
    weights = np.arange(4, dtype=np.float32)
    state = {
        "format_version": 1,
        "model": {"sample_rate": 16000, "bidirectional": True, "frame_step": 0.016875},
        "state_dict": OrderedDict(bias=Tensor("0", weights, 0, (4,), (1,))),
    }
    zip_checkpoint(tmp_path / "w.pt", state, {"0": weights})

    arrays = read_zip_checkpoint(tmp_path / "w.pt", key="state_dict")

    assert list(arrays) == ["bias"]
    assert arrays["bias"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_it_reads_a_legacy_checkpoints_state_dict_stored_after_the_pickle(tmp_path):
    weights = np.linspace(0, 1, 6, dtype=np.float32)
    state = {"model_state": OrderedDict(w=Tensor("k", weights, 0, (2, 3), (3, 1)))}
    legacy_checkpoint(tmp_path / "w.pt", state, {"k": weights})

    arrays = read_legacy_checkpoint(tmp_path / "w.pt")

    assert arrays["w"].tolist() == weights.reshape(2, 3).tolist()


def test_it_refuses_a_checkpoint_that_names_any_other_callable(tmp_path):
    hostile = OrderedDict(w=Global("os", "system"))
    zip_checkpoint(tmp_path / "zip.pt", hostile, {})
    legacy_checkpoint(tmp_path / "legacy.pt", {"model_state": hostile}, {})

    with pytest.raises(pickle.UnpicklingError, match=r"os\.system is not allowed"):
        read_zip_checkpoint(tmp_path / "zip.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"os\.system is not allowed"):
        read_legacy_checkpoint(tmp_path / "legacy.pt")


def test_it_refuses_a_zip_file_that_is_not_a_torch_checkpoint(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(pickle.UnpicklingError, match="not a torch zip checkpoint"):
        read_zip_checkpoint(tmp_path / "other.zip")
