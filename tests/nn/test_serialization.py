"""nn.save / nn.load / nn.load_state: .npz round trips, checks, and no pickle ever."""

import io
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import nn


def test_round_trip_restores_every_parameter(tmp_path):
    path = tmp_path / "model.npz"
    a, b = nn.MLP([3, 5, 2], seed=0), nn.MLP([3, 5, 2], seed=1)
    nn.save(a, path)
    assert path.exists()
    assert nn.load(b, path) is b
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert na == nb
        np.testing.assert_array_equal(pa.data, pb.data)
        assert pb.dtype == pa.dtype


def test_the_file_is_written_at_exactly_the_path_and_is_plain_npz(tmp_path):
    path = tmp_path / "weights.bin"  # no .npz appended
    model = nn.Linear(2, 3, seed=0)
    nn.save(model, str(path))
    assert [p.name for p in tmp_path.iterdir()] == ["weights.bin"]
    state = nn.load_state(path)
    assert sorted(state) == ["bias", "weight"]
    np.testing.assert_array_equal(state["weight"], model.weight.data)
    with np.load(path, allow_pickle=False) as archive:  # readable by NumPy alone
        assert sorted(archive.files) == ["bias", "weight"]


def test_file_objects_float32_and_state_dicts(tmp_path):
    buffer = io.BytesIO()
    model = nn.Linear(2, 2, dtype=np.float32, seed=0)
    nn.save(model, buffer)
    buffer.seek(0)
    state = nn.load_state(buffer)
    assert state["weight"].dtype == np.float32
    path = tmp_path / "state.npz"
    nn.save(model.state_dict(), path)
    np.testing.assert_array_equal(nn.load_state(path)["bias"], model.bias.data)


@pytest.mark.parametrize("key", ["file", "allow_pickle", "a/b", "arr_0"])
def test_any_key_round_trips_even_the_names_of_numpys_own_arguments(tmp_path, key):
    # np.savez(file, **state) would take "file" and "allow_pickle" for its arguments
    state = {key: np.arange(3.0), "w": np.ones((2, 2), dtype=np.float32)}
    nn.save(state, tmp_path / "m.npz")
    loaded = nn.load_state(tmp_path / "m.npz")
    assert sorted(loaded) == sorted(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name], array)
    with np.load(tmp_path / "m.npz") as plain:  # still a plain .npz for NumPy
        np.testing.assert_array_equal(plain[key], state[key])


def test_scalar_networks_round_trip(tmp_path):
    path = tmp_path / "scalar.npz"
    a, b = nn.scalar.MLP(2, [4, 1], seed=0), nn.scalar.MLP(2, [4, 1], seed=1)
    nn.save(a, path)
    nn.load(b, path)
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]


def test_loading_into_another_architecture_changes_nothing(tmp_path):
    path = tmp_path / "small.npz"
    nn.save(nn.MLP([3, 5, 2], seed=0), path)
    other = nn.MLP([3, 6, 2], seed=1)
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"'layers.0.weight' has shape \(5, 3\) but the "
                                         r"parameter has shape \(6, 3\)"):
        nn.load(other, path)
    for key, array in other.state_dict().items():
        np.testing.assert_array_equal(array, before[key])
    deeper = nn.MLP([3, 5, 5, 2], seed=1)
    with pytest.raises(ValueError, match=r"missing keys \['layers.2.weight', 'layers.2.bias'\]"):
        nn.load(deeper, path)


class _Trap:
    """Unpickling this would append to a list: the test shows it never happens."""

    calls = []

    def __reduce__(self):
        return (_Trap.calls.append, ("unpickled!",))


def test_pickled_arrays_are_refused_and_never_run(tmp_path):
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = _Trap()
    np.savez(path, weight=evil)  # NumPy pickles object arrays into the archive
    with pytest.raises(ValueError, match="'weight' cannot be loaded without pickle"):
        nn.load_state(path)
    with pytest.raises(ValueError, match="without pickle"):
        nn.load(nn.Linear(1, 1, bias=False), path)
    assert _Trap.calls == []
    with pytest.raises(TypeError, match="object array"):
        nn.save({"weight": evil}, tmp_path / "refused.npz")


def test_files_that_are_not_npz_archives(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an archive")
    # (np.load takes such a file for a pickle, and would say to allow pickles)
    with pytest.raises(ValueError, match="notes.txt is not an .npz archive: it does not "
                                         "start like a zip file") as info:
        nn.load_state(text)
    assert "pickle" not in str(info.value)
    single = tmp_path / "one.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match=r"single array \(.npy\)"):
        nn.load_state(single)
    broken = tmp_path / "broken.npz"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("weight.npy", b"garbage")
    with pytest.raises(ValueError, match="broken.npz"):
        nn.load_state(broken)
    with pytest.raises(FileNotFoundError):
        nn.load_state(tmp_path / "missing.npz")
    with pytest.raises(TypeError, match="expected a Module, an optimizer or a dict"):
        nn.save([1, 2], tmp_path / "x.npz")
    with pytest.raises(TypeError, match="nn.load_state"):
        nn.load("model", text)


def test_a_scheduler_given_to_save_or_load_is_told_to_use_its_state_dict(tmp_path):
    # the messages said only that a StepLR is not a Module (QA round 26)
    opt = nn.optim.SGD(nn.Linear(2, 1, seed=0), lr=0.1)
    scheduler = nn.optim.lr_scheduler.StepLR(opt, step_size=2)
    hint = (r"; save its state: nn.save\(x.state_dict\(\), path\), and load it with "
            r"x.load_state_dict\(nn.load_state\(path\)\)$")
    with pytest.raises(TypeError, match=r"^save: expected .*, got StepLR" + hint):
        nn.save(scheduler, tmp_path / "s.npz")
    nn.save(scheduler.state_dict(), tmp_path / "s.npz")
    with pytest.raises(TypeError, match=r"^load: expected .*, got StepLR" + hint):
        nn.load(scheduler, tmp_path / "s.npz")
    scheduler.load_state_dict(nn.load_state(tmp_path / "s.npz"))
    with pytest.raises(TypeError, match=r"^save: 'sched' is a StepLR, not an array" + hint):
        nn.save({"sched": scheduler}, tmp_path / "s.npz")  # (was: an object array)


def test_a_path_of_the_wrong_type_is_named():
    with pytest.raises(TypeError, match="save: path must be a file name or a binary file, "
                                        "got NoneType"):
        nn.save(nn.Linear(2, 2, seed=0), None)
    with pytest.raises(TypeError, match="load_state: path must be a file name"):
        nn.load(nn.Linear(2, 2, seed=0), 3)


def test_a_directory_is_not_an_archive(tmp_path):
    with pytest.raises(ValueError, match="is not an .npz archive"):
        nn.load_state(tmp_path)



def test_a_file_in_text_mode_is_refused_naming_the_mode(tmp_path):
    model = nn.Linear(2, 2, seed=0)
    path = tmp_path / "m.npz"
    nn.save(model, path)
    with open(path, encoding="latin-1") as file:
        with pytest.raises(TypeError, match="load_state: the file is open in text mode; "
                                            "open it with 'rb'"):
            nn.load(model, file)
    with open(tmp_path / "other.npz", "w") as file:
        with pytest.raises(TypeError, match="save: the file is open in text mode; open it "
                                            "with 'wb'"):
            nn.save(model, file)



@pytest.mark.parametrize("key", ["file", "allow_pickle"])
def test_any_key_round_trips_through_a_file_object(key):
    # kills: save() to a file object going back to np.savez(path, **state)
    buffer = io.BytesIO()
    nn.save({key: np.arange(3.0)}, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(nn.load_state(buffer)[key], np.arange(3.0))


def test_load_state_reads_from_the_current_position_of_a_file_object():
    # SE06: the check of the first bytes must put the file back where it was, not at 0
    model = nn.Linear(2, 3, seed=0)
    buffer = io.BytesIO()
    buffer.write(b"header")  # a container format with the archive after a header
    nn.save(model, buffer)
    buffer.seek(len(b"header"))
    state = nn.load_state(buffer)
    assert sorted(state) == ["bias", "weight"]
    np.testing.assert_array_equal(state["weight"], model.weight.data)


def test_a_file_object_not_at_an_archive_is_named_with_its_position(tmp_path):
    # it said the file "is not an .npz archive", though it is one, read from elsewhere
    model = nn.Linear(2, 3, seed=0)
    nn.save(model, tmp_path / "m.npz")
    other = nn.Linear(2, 3, seed=1)
    before = other.weight.data.copy()
    with open(tmp_path / "m.npz", "rb") as file:
        for where in (4, None):  # read from already; read to the end by a first load
            if where is None:
                file.seek(0)
                nn.load_state(file)
                where = file.tell()
            else:
                file.read(where)
            with pytest.raises(ValueError, match=rf"m.npz is at position {where}, where no "
                                                 r".npz archive starts.*Call .seek\(0\)"):
                nn.load(other, file)
            np.testing.assert_array_equal(other.weight.data, before)
        file.seek(0)
        nn.load(other, file)
    np.testing.assert_array_equal(other.weight.data, model.weight.data)


def test_an_empty_state_round_trips():
    # nn.save({}) writes an empty archive, which load_state must read back as {}
    buffer = io.BytesIO()
    nn.save({}, buffer)
    buffer.seek(0)
    assert nn.load_state(buffer) == {}


def test_a_save_that_fails_part_way_leaves_the_previous_file(tmp_path, monkeypatch):
    # save truncated the file, then wrote entry by entry: a failure (disk full, Ctrl-C)
    # lost the previous checkpoint and left one that would not load
    layer = nn.Linear(2, 2, seed=0)
    path = tmp_path / "ckpt.npz"
    nn.save(layer, path)
    saved = path.read_bytes()
    write_array, calls = np.lib.format.write_array, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return write_array(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    layer.weight.data += 1.0
    with pytest.raises(OSError, match="No space left"):
        nn.save(layer, path)
    assert path.read_bytes() == saved
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temporary left
    monkeypatch.undo()
    nn.save(layer, path)  # a save that succeeds replaces it
    np.testing.assert_array_equal(nn.load_state(path)["weight"], layer.weight.data)


def test_a_save_through_a_link_writes_the_file_it_points_to(tmp_path):
    layer = nn.Linear(2, 1, seed=0)
    (tmp_path / "real.npz").write_bytes(b"")
    (tmp_path / "link.npz").symlink_to(tmp_path / "real.npz")
    nn.save(layer, str(tmp_path / "link.npz").encode())  # (a bytes path too)
    assert (tmp_path / "link.npz").is_symlink()
    np.testing.assert_array_equal(nn.load_state(tmp_path / "real.npz")["bias"],
                                  layer.bias.data)


def test_a_save_over_a_file_keeps_its_permissions_and_errors_name_the_path(tmp_path):
    # the temporary file that replaces it was made with the default mode (0o644 for a
    # 0o600 checkpoint), and a missing folder was named by the temporary file's path
    model = nn.Linear(2, 2, seed=0)
    path = tmp_path / "private.npz"
    nn.save(model, path)
    os.chmod(path, 0o600)
    nn.save(model, path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    missing = tmp_path / "no_such_folder" / "model.npz"
    with pytest.raises(FileNotFoundError) as raised:
        nn.save(model, missing)
    assert raised.value.filename == str(missing)
    assert not list(tmp_path.glob("**/*.tmp"))


_READ_ONLY_SAVE = """
import os, sys
import numpy as np
import nn
path = sys.argv[1]
model = nn.Linear(2, 2, seed=0)
nn.save(model, path)
saved = open(path, "rb").read()
os.chmod(path, 0o444)
model.weight.data += 1.0
try:
    nn.save(model, path)
except PermissionError as error:
    assert error.filename == path, error.filename
    assert "read-only" in str(error), error
else:
    raise SystemExit("nn.save replaced a read-only file")
assert open(path, "rb").read() == saved
assert os.stat(path).st_mode & 0o777 == 0o444
assert sorted(os.listdir(os.path.dirname(path))) == [os.path.basename(path)]
print("refused")
"""


def test_a_read_only_file_is_refused_as_open_refuses_it(tmp_path):
    # the temporary file replaced it (which needs only the folder to be writable) and
    # took its 0o444 mode: a checkpoint protected with chmod was silently overwritten
    command = [sys.executable, "-c", _READ_ONLY_SAVE, str(tmp_path / "best.npz")]
    if os.geteuid() == 0:  # root may write anything: run without its override
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv to drop root's override")
        command = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", *command]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run = subprocess.run(command, capture_output=True, text=True, cwd=root,
                         env={**os.environ, "PYTHONPATH": root})
    assert run.returncode == 0 and run.stdout.strip() == "refused", run.stderr


def test_a_file_name_near_the_length_limit_can_be_saved(tmp_path):
    # the temporary name was the target's plus 13 bytes: a legal 250-byte name failed
    # with "File name too long", naming the user's path
    model = nn.Linear(2, 2, seed=0)
    path = tmp_path / ("m" * 246 + ".npz")
    for _ in range(2):  # written, then replaced
        nn.save(model, path)
    np.testing.assert_array_equal(nn.load_state(path)["weight"], model.weight.data)
    assert os.listdir(tmp_path) == [path.name]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root may give a file to another owner")
def test_a_save_as_root_over_another_users_file_keeps_its_owner(tmp_path):
    model = nn.Linear(2, 2, seed=0)
    path = tmp_path / "theirs.npz"
    nn.save(model, path)
    os.chown(path, 12345, 23456)
    nn.save(model, path)
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (12345, 23456)


def test_a_pytorch_style_checkpoint_of_several_parts_is_explained(tmp_path):
    # {"model": state_dict, ...} was called "an object array, which cannot be stored
    # without pickle": the user gave a dict of dicts
    model = nn.Linear(2, 2, seed=0)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
    path = tmp_path / "checkpoint.npz"
    for part in (model.state_dict(), model, optimizer):
        with pytest.raises(TypeError, match=r"save: 'model' is a \w+, not an array: "
                                            r"nn.save writes one flat dict of arrays"):
            nn.save({"epoch": 3, "model": part}, path)
    assert not path.exists()
    flat = {"epoch": 3, **{f"model.{k}": v for k, v in model.state_dict().items()}}
    nn.save(flat, path)  # the way the message gives
    assert nn.load_state(path)["model.weight"].shape == (2, 2)
