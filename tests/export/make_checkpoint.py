#!/usr/bin/env python3
"""Writes a small 4DGS checkpoint in PyTorch's zip serialisation, without torch, for testing
scripts/export_4dgs_ply.py. Values are a function of (primitive, field, component) so the
test can tell where each one ended up:

    value(i, base, k) = base + i + k / 100     (features: base + i + k / 100 + c / 1000)
"""

import collections
import io
import pickle
import sys
import types
import zipfile

import numpy as np

N, M = 5, 48  # primitives; coefficients per channel allocated (degree 3, time degree 2)


def _stub_modules():
    # The pickle names the classes torch.save names; only the names matter to a reader.
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise RuntimeError("writer stub")

    def _rebuild_parameter(*args):
        raise RuntimeError("writer stub")

    class FloatStorage:
        pass

    for obj, mod, name in ((_rebuild_tensor_v2, utils, "_rebuild_tensor_v2"),
                           (_rebuild_parameter, utils, "_rebuild_parameter"),
                           (FloatStorage, torch, "FloatStorage")):
        obj.__module__ = mod.__name__
        obj.__qualname__ = obj.__name__ = name
        setattr(mod, name, obj)
    torch._utils = utils
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    return torch, utils


class Tensor:
    def __init__(self, array):
        self.array = np.ascontiguousarray(array, dtype=np.float32)


class _Data:
    """The tensor inside an nn.Parameter."""

    def __init__(self, array):
        self.array = array


class _Storage:
    def __init__(self, key, array):
        self.key, self.array = key, array


def save(obj, path):
    torch, utils = _stub_modules()
    storages = []

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, _Storage):
                return ("storage", torch.FloatStorage, o.key, "cpu", o.array.size)
            return None

        def reducer_override(self, o):
            if isinstance(o, Tensor):
                return (utils._rebuild_parameter, (_Data(o.array), True, collections.OrderedDict()))
            if isinstance(o, _Data):
                st = _Storage(str(len(storages)), o.array)
                storages.append(st)
                strides = tuple(s // 4 for s in o.array.strides)
                return (utils._rebuild_tensor_v2, (st, 0, o.array.shape, strides, False, collections.OrderedDict()))
            return NotImplemented

    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/byteorder", "little")
        for st in storages:
            z.writestr(f"archive/data/{st.key}", st.array.tobytes())
        z.writestr("archive/version", "3\n")


def value(base, shape):
    i = np.arange(N, dtype=np.float32).reshape(N, *([1] * (len(shape))))
    k = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    return base + i + k / 100.0


def main(path):
    features = value(0.0, (M, 3))
    features += np.arange(3, dtype=np.float32) / 1000.0
    capture = (
        3,                                      # active_sh_degree
        Tensor(value(10.0, (3,))),              # _xyz
        Tensor(features[:, :1, :] * 0.01),      # _features_dc
        Tensor(features[:, 1:, :] * 0.01),      # _features_rest
        Tensor(value(-3.0, (3,)) * 0.1),        # _scaling (log)
        Tensor(value(1.0, (4,))),               # _rotation (unnormalised, w first)
        Tensor(value(0.5, (1,))),               # _opacity (logit)
        Tensor(np.zeros(N)),                    # max_radii2D
        Tensor(np.zeros((N, 1))),               # xyz_gradient_accum
        Tensor(np.zeros((N, 1))),               # t_gradient_accum
        Tensor(np.zeros((N, 1))),               # denom
        {"state": {}, "param_groups": [{"lr": 0.001, "params": [0, 1]}]},  # optimizer_state
        1.0,                                    # spatial_lr_scale
        Tensor(value(2.0, (1,)) * 0.5),         # _t
        Tensor(value(-1.0, (1,)) * 0.1),        # _scaling_t (log)
        Tensor(value(2.0, (4,))),               # _rotation_r
        True,                                   # rot_4d
        None,                                   # env_map
        1,                                      # active_sh_degree_t
    )
    save((capture, 30000), path)


if __name__ == "__main__":
    main(sys.argv[1])
