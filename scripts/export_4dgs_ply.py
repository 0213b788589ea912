#!/usr/bin/env python3
"""Export a 4DGS (Yang et al., ICLR 2024) training checkpoint to splat4d's canonical 4DGS PLY.

    python3 scripts/export_4dgs_ply.py chkpnt_best.pth -o scene.ply --time-range 0 10

The checkpoint is the pair (capture_tuple, iteration) that `train.py` saves; for
gaussian_dim = 4 the capture tuple holds, in order (algorithms.md §1.9):
    active_sh_degree, _xyz, _features_dc, _features_rest, _scaling, _rotation, _opacity,
    max_radii2D, xyz_gradient_accum, t_gradient_accum, denom, optimizer_state,
    spatial_lr_scale, _t, _scaling_t, _rotation_r, rot_4d, env_map, active_sh_degree_t
The PLY keeps the raw trained values (logit opacity, log scales, unnormalised w-first
quaternions); `splat4d pack` applies the activations and the 4D slicing.

Only the coefficients the CUDA rasteriser evaluates are written: (D+1)^2 spatial ones for the
active degree D and, when D == 3, the time harmonics 0..active_sh_degree_t (index 16 n + j).
The time range is the config's `time_duration` (N3V: 0 10, D-NeRF: 0 1); it is not stored in
the checkpoint. Needs numpy; uses torch when installed, else reads the zip format itself.
"""

import argparse
import pickle
import sys
import zipfile

import numpy as np

FIELDS = (
    "active_sh_degree", "xyz", "features_dc", "features_rest", "scaling", "rotation", "opacity",
    "max_radii2D", "xyz_gradient_accum", "t_gradient_accum", "denom", "optimizer_state",
    "spatial_lr_scale", "t", "scaling_t", "rotation_r", "rot_4d", "env_map", "active_sh_degree_t",
)

_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": None, "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class _Opaque:
    """Stands in for any class the checkpoint references that the export does not need."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


def _rebuild_tensor(storage, offset, size, stride, *_rest):
    if not size:
        return storage[offset:offset + 1].reshape(()).copy()
    itemsize = storage.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * itemsize for s in stride))
    return np.array(view)


def _rebuild_parameter(tensor, *_rest):
    return tensor


def _load_without_torch(path):
    """Reads PyTorch's zip serialisation: <root>/data.pkl plus one file per storage."""
    with zipfile.ZipFile(path) as archive:
        pkl = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
        if pkl is None:
            raise ValueError(f"{path}: not a PyTorch zip checkpoint (no data.pkl)")
        root = pkl[: -len("data.pkl")]

        class Unpickler(pickle.Unpickler):
            def find_class(self, module, name):
                if module == "torch._utils" and name == "_rebuild_tensor_v2":
                    return _rebuild_tensor
                if module == "torch._utils" and name.startswith("_rebuild_parameter"):
                    return _rebuild_parameter
                if module == "torch" and name in _DTYPES:
                    return name
                if module == "collections" and name == "OrderedDict":
                    import collections
                    return collections.OrderedDict
                if module.startswith("torch") or module.startswith("numpy"):
                    return _Opaque
                return super().find_class(module, name)

            def persistent_load(self, pid):
                kind, storage_type, key, _location, numel = pid
                if kind != "storage":
                    raise ValueError(f"unsupported persistent id {pid!r}")
                dtype = _DTYPES.get(storage_type if isinstance(storage_type, str) else "FloatStorage")
                if dtype is None:
                    raise ValueError(f"storage type {storage_type} is not supported without torch")
                data = archive.read(f"{root}data/{key}")
                return np.frombuffer(data, dtype=dtype, count=numel)

        with archive.open(pkl) as f:
            return Unpickler(f).load()


def load_checkpoint(path):
    try:
        import torch  # noqa: F401
    except ImportError:
        return _load_without_torch(path)
    import torch
    obj = torch.load(path, map_location="cpu", weights_only=False)

    def to_numpy(x):
        if isinstance(x, torch.Tensor):
            return x.detach().cpu().numpy()
        if isinstance(x, (tuple, list)):
            return type(x)(to_numpy(v) for v in x)
        return x
    return to_numpy(obj)


def export(checkpoint, out_path, time_range):
    params = checkpoint[0] if isinstance(checkpoint, (tuple, list)) and len(checkpoint) == 2 else checkpoint
    if not isinstance(params, (tuple, list)) or len(params) != len(FIELDS):
        raise ValueError(
            f"expected a 4DGS capture tuple of {len(FIELDS)} fields (gaussian_dim = 4), "
            f"got {type(params).__name__} of length {len(params) if hasattr(params, '__len__') else '?'}")
    p = dict(zip(FIELDS, params))
    xyz = np.asarray(p["xyz"], dtype=np.float32).reshape(-1, 3)
    n = xyz.shape[0]

    def column(name, width):
        a = np.asarray(p[name], dtype=np.float32).reshape(n, -1)
        if a.shape[1] != width:
            raise ValueError(f"_{name} has {a.shape[1]} values per primitive, expected {width}")
        return a

    dc = np.asarray(p["features_dc"], dtype=np.float32).reshape(n, -1, 3)
    rest = np.asarray(p["features_rest"], dtype=np.float32).reshape(n, -1, 3)
    coeffs = np.concatenate([dc, rest], axis=1)  # [N, M, 3], index k = 16 n + j
    degree = int(p["active_sh_degree"])
    degree_t = int(p["active_sh_degree_t"] or 0) if degree == 3 else 0
    keep = (degree + 1) ** 2 * (degree_t + 1)
    if keep > coeffs.shape[1]:
        raise ValueError(f"active degrees ({degree}, {degree_t}) need {keep} coefficients, "
                         f"the checkpoint has {coeffs.shape[1]}")
    coeffs = coeffs[:, :keep, :]
    rot_4d = bool(p["rot_4d"])
    env = p["env_map"]
    if env is not None and np.size(env) > 1:
        print("note: the checkpoint's environment map is not exported (splat4d draws splats only)",
              file=sys.stderr)

    columns = [("x", xyz[:, 0]), ("y", xyz[:, 1]), ("z", xyz[:, 2]), ("t", column("t", 1)[:, 0])]
    columns += [(f"f_dc_{c}", coeffs[:, 0, c]) for c in range(3)]
    rest_cm = coeffs[:, 1:, :].transpose(0, 2, 1).reshape(n, -1)  # channel-major, as INRIA
    columns += [(f"f_rest_{i}", rest_cm[:, i]) for i in range(rest_cm.shape[1])]
    columns.append(("opacity", column("opacity", 1)[:, 0]))
    scaling = column("scaling", 3)
    columns += [(f"scale_{i}", scaling[:, i]) for i in range(3)]
    columns.append(("scale_t", column("scaling_t", 1)[:, 0]))
    rotation = column("rotation", 4)
    columns += [(f"rot_{i}", rotation[:, i]) for i in range(4)]
    if rot_4d:
        rotation_r = column("rotation_r", 4)
        columns += [(f"rot_r_{i}", rotation_r[:, i]) for i in range(4)]

    table = np.stack([c for _, c in columns], axis=1).astype("<f4")
    header = ["ply", "format binary_little_endian 1.0",
              f"comment splat4d time_range {time_range[0]!r} {time_range[1]!r}",
              f"comment splat4d sh_degree {degree}",
              f"comment splat4d sh_degree_t {degree_t}",
              f"element vertex {n}"]
    header += [f"property float {name}" for name, _ in columns]
    header.append("end_header")
    with open(out_path, "wb") as f:
        f.write(("\n".join(header) + "\n").encode("ascii"))
        f.write(table.tobytes())
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", help="chkpnt*.pth written by 4DGS train.py")
    ap.add_argument("-o", "--output", required=True, help="output .ply")
    ap.add_argument("--time-range", nargs=2, type=float, required=True, metavar=("T0", "T1"),
                    help="the config's time_duration, e.g. 0 10 for N3V")
    args = ap.parse_args(argv)
    if not args.time_range[0] < args.time_range[1]:
        ap.error("--time-range needs T0 < T1")
    try:
        n = export(load_checkpoint(args.checkpoint), args.output, args.time_range)
    except (OSError, ValueError, KeyError, pickle.UnpicklingError, zipfile.BadZipFile) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {n} primitives to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
