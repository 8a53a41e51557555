"""Saving and loading parameters as NumPy `.npz` files.

A file holds one array per parameter, named as in `Module.named_parameters()`. Files are
always read with `allow_pickle=False`: an `.npz` from someone else can hold only plain
arrays, never code to run (object arrays, which need pickle, are refused).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import stat
import zipfile
from collections.abc import Mapping

import numpy as np

from .module import Module
from .optim import Optimizer

__all__ = ["save", "load", "load_state"]


def _state_dict_hint(thing) -> str:
    """For an object with a state_dict of its own (a learning-rate scheduler), how to
    save and load it; else ''."""
    if not (callable(getattr(thing, "state_dict", None))
            and callable(getattr(thing, "load_state_dict", None))):
        return ""
    return ("; save its state: nn.save(x.state_dict(), path), and load it with "
            "x.load_state_dict(nn.load_state(path))")


def save(module, path) -> None:
    """Write a module's parameters (its `state_dict()`) to an `.npz` file.

    The file is written at exactly `path` (no ".npz" is appended), all or nothing: it
    is written to a temporary file beside it, which then replaces it (with the earlier
    file's permissions; a hard link to the earlier file keeps the earlier data), so a
    save that fails part-way leaves an earlier file at `path` as it was.

    Args:
        module: a Module, an optimizer (its moments and step counts, to resume
            training), or a dict of arrays such as a `state_dict()`.
        path: a file name (str or path-like) or a binary file object open for writing.

    Raises:
        TypeError: `module` is neither a Module nor a dict of arrays, or an array has a
            dtype that would need pickle (object arrays).
        PermissionError: the file at `path` is read-only (nothing is written).
    """
    if isinstance(module, (Module, Optimizer)):
        state = module.state_dict()
    elif isinstance(module, Mapping):
        for key, value in module.items():
            if _state_dict_hint(value) and not isinstance(value, (Module, Optimizer)):
                raise TypeError(f"save: '{key}' is a {type(value).__name__}, not an array"
                                + _state_dict_hint(value))
            if isinstance(value, (Mapping, Module, Optimizer)):
                # a PyTorch-style checkpoint {"model": ..., "optimizer": ..., "epoch": n}
                raise TypeError(
                    f"save: '{key}' is a {type(value).__name__}, not an array: nn.save "
                    "writes one flat dict of arrays; save each part to a file of its own "
                    "(nn.save(model, 'model.npz'), nn.save(optimizer, 'optimizer.npz')), "
                    "or flatten the keys ({f'model.{k}': v for k, v in "
                    "model.state_dict().items()})")
        state = {str(k): np.asarray(v) for k, v in module.items()}
    else:
        raise TypeError(f"save: expected a Module, an optimizer or a dict of arrays, got "
                        f"{type(module).__name__}{_state_dict_hint(module)}")
    for key, array in state.items():
        if array.dtype.hasobject:
            raise TypeError(f"save: '{key}' is an object array, which cannot be stored "
                            "without pickle")
    _check_file(path, "save", "write", "wb")
    if hasattr(path, "write"):
        _write_npz(path, state)
        return
    target = os.path.realpath(os.fsdecode(path))  # (a link's target is written, as by open)
    if os.path.exists(target) and not os.path.isfile(target):  # /dev/null, a directory:
        with open(target, "wb") as file:  # written as they are (or refused by open)
            _write_npz(file, state)
        return
    if os.path.isfile(target) and not os.access(target, os.W_OK):
        # A file made read-only (a best checkpoint kept safe) is refused as open()
        # refuses it: replacing it needs only the folder to be writable
        raise PermissionError(errno.EACCES, "Permission denied (the file is read-only; "
                              "nn.save does not replace it)", os.fsdecode(path))
    # Written whole beside it, then put in its place in one step: a save that fails or
    # is interrupted (disk full, Ctrl-C) leaves the previous file as it was. The name is
    # short and fixed in length, so that a target name near the file system's limit fits
    temporary = os.path.join(os.path.dirname(target),
                             f".{secrets.token_hex(8)}.nn-save.tmp")
    try:
        try:
            file = open(temporary, "xb")
        except OSError as error:  # (a missing folder, say: named by the user's path)
            raise type(error)(error.errno, error.strerror, os.fsdecode(path)) from None
        with file:
            _write_npz(file, state)
        if os.path.isfile(target):
            _take_owner_and_mode(target, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _take_owner_and_mode(earlier: str, replacement: str) -> None:
    """Give the file that replaces `earlier` its permissions (a checkpoint made private
    stays private) and, where allowed (as root), its owner and group."""
    status, made = os.stat(earlier), os.stat(replacement)
    if (status.st_uid, status.st_gid) != (made.st_uid, made.st_gid):
        with contextlib.suppress(PermissionError):  # (only root may give a file away)
            os.chown(replacement, status.st_uid, status.st_gid)
    os.chmod(replacement, stat.S_IMODE(status.st_mode))


def _write_npz(file, state: dict[str, np.ndarray]) -> None:
    """What np.savez(file, **state) writes, one `key.npy` entry per array, for any key:
    savez would take a key "file" or "allow_pickle" for its own argument."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED,
                         allowZip64=True) as archive:
        for key, array in state.items():
            with archive.open(f"{key}.npy", mode="w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def load_state(path) -> dict[str, np.ndarray]:
    """Read the arrays of an `.npz` file written by `save` into a dict.

    Args:
        path: a file name or a binary file object open for reading. A file object is
            read from its current position, as np.load reads it (not from its start:
            seek to the archive first).

    Returns:
        A dict from parameter names to arrays.

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is not an `.npz` archive (or a file object is not at the
            start of one: the message gives its position), or holds arrays that would
            need pickle to load (the file is refused, nothing of it is run).
    """
    _check_file(path, "load_state", "read", "rb")
    name = getattr(path, "name", path)
    if not _starts_like_numpy(path):
        where = path.tell() if hasattr(path, "read") else 0
        if where:  # (the bytes at the start were never looked at)
            raise ValueError(f"load_state: {name!s} is at position {where}, where no .npz "
                             "archive starts (an open file is read from where it stands, "
                             "as np.load reads it); was it read from before? Call .seek(0) "
                             "on it first to read an archive at its start")
        # (np.load would take it for a pickle, and say to allow pickles to read it)
        raise ValueError(f"load_state: {name!s} is not an .npz archive: it does not start "
                         "like a zip file, as the files nn.save writes do")
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"load_state: {name!s} is not a readable .npz file of arrays: "
                         f"{error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load_state: {name!s} holds a single array (.npy), not the "
                         "named arrays of an .npz file written by nn.save")
    with archive:
        state = {}
        for key in archive.files:
            try:
                value = archive[key]
            except ValueError as error:  # an object array: loading it would unpickle
                raise ValueError(f"load_state: {name!s}: array '{key}' cannot be loaded "
                                 f"without pickle, which is never used: {error}") from None
            if not isinstance(value, np.ndarray):
                # NumPy returns a member without the .npy header as raw bytes
                raise ValueError(f"load_state: {name!s}: member '{key}' is not a NumPy "
                                 "array")
            state[key] = value
    return state


def load(module: Module, path) -> Module:
    """Load the parameters saved in an `.npz` file into `module`, in place.

    Goes through `module.load_state_dict`, so every key, shape and dtype is checked
    before anything is written: on any mismatch the module is left unchanged.

    Args:
        module: the Module to load into (built with the same structure as the saved
            one), or an optimizer (of the same kind, over the same parameters).
        path: a file name or a binary file object open for reading.

    Returns:
        the module.

    Raises:
        TypeError: `module` is not a Module or an optimizer.
        ValueError: see `load_state` and `Module.load_state_dict`.
    """
    if not isinstance(module, (Module, Optimizer)):
        hint = _state_dict_hint(module) or " (to read the arrays alone use nn.load_state(path))"
        raise TypeError(f"load: expected a Module or an optimizer to load into, got "
                        f"{type(module).__name__}{hint}")
    module.load_state_dict(load_state(path))
    return module


def _check_file(path, who: str, method: str, mode: str) -> None:
    """Raise TypeError, naming `who`, unless `path` is a file name or a binary file
    object with `method` (read or write)."""
    if not hasattr(path, method) and not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{who}: path must be a file name or a binary file, got "
                        f"{type(path).__name__}")
    if isinstance(path, io.TextIOBase):
        raise TypeError(f"{who}: the file is open in text mode; open it with '{mode}' (an "
                        ".npz file is binary)")


def _starts_like_numpy(path) -> bool:
    """Whether the file (a path or an open binary file) starts like a zip archive (an
    .npz) or a .npy array. A missing file raises FileNotFoundError."""
    if hasattr(path, "read"):
        start = path.tell()
        head = path.read(6)
        path.seek(start)
    else:
        try:
            with open(path, "rb") as file:
                head = file.read(6)
        except FileNotFoundError:
            raise
        except OSError:  # a directory, say
            return False
    # np.load's own tests: a zip archive's first entry (or an empty archive's end record),
    # or an array; any other "PK" (the central directory, where a file object is left
    # after a load) would be read as a pickle
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY"))
