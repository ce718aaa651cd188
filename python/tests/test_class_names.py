"""The teacher's class names from Python: recorded in the store, and compared with the dataset's."""
import pytest

import tinydistill
from conftest import DATA, policy


def test_class_names_stand_in_for_num_classes_and_are_recorded_with_their_digest(tmp_path):
    names = [f"class-{i}" for i in range(10)]
    out = str(tmp_path / "named.tdstore")
    info = {"name": "named", "digest": "d", "class_names": names}
    with tinydistill.TeacherStage(out, DATA, policy=policy(), topk=3, epochs=1, batch_size=32, teacher_info=info) as s:
        assert s.num_classes == 10
        for b in s:
            s.write(b, probs=[[1.0 / 10] * 10] * len(b))
    with tinydistill.Store(out) as store:
        assert store.teacher["class_names"] == names
        assert store.teacher["class_names_digest"].startswith("sha256:")


def test_names_that_disagree_with_num_classes_or_repeat_are_an_invalid_argument(tmp_path):
    for info in ({"name": "n", "digest": "d", "num_classes": 4, "class_names": ["a", "b", "c"]},
                 {"name": "n", "digest": "d", "class_names": ["a", "b", "a"]},
                 {"name": "n", "digest": "d", "class_names": ["only"]}):
        with pytest.raises(tinydistill.InvalidArgumentError, match="class"):
            tinydistill.TeacherStage(str(tmp_path / "x.tdstore"), DATA, policy=policy(), topk=2, epochs=1, teacher_info=info)
        assert not (tmp_path / "x.tdstore").exists()


def test_a_loader_on_a_dataset_other_than_the_teachers_names_is_refused_naming_them(tmp_path):
    # The store's teacher is named for the 10 synthetic classes; Fashion-MNIST's names are another set.
    names = [f"class-{i}" for i in range(10)]
    out = str(tmp_path / "named.tdstore")
    with tinydistill.TeacherStage(out, DATA, policy=policy(), topk=3, epochs=1, batch_size=32,
                                  teacher_info={"name": "named", "digest": "d", "class_names": names}) as s:
        for b in s:
            s.write(b, probs=[[1.0 / 10] * 10] * len(b))
    report = tinydistill.verify(out, data=DATA)
    assert report["problem_count"] == 0, report["problems"]
    with pytest.raises(tinydistill.InvalidArgumentError, match="not the teacher's"):
        tinydistill.Loader(out, "fashion-mnist:test", batch_size=8)
    report = tinydistill.verify(out, data="fashion-mnist:test")
    assert any(p["kind"] == "class-names" for p in report["problems"]), report["problems"]



def _png(path, value):
    """A 28x28 grayscale PNG of one value."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes([value]) * 28 for _ in range(28))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_class_map_groups_a_teachers_classes_into_the_datasets(tmp_path):
    # A caller's teacher of 6 named classes; an ImageFolder of 3 (a, b, c). Without a map the stage refuses
    # the dataset; with t0,t1 -> a, t2,t3 -> b, t4 -> c (t5 dropped) the store keeps the teacher's 6
    # classes, and the loader hands out targets summed per group and renormalised.
    data = tmp_path / "data"
    for c, name in enumerate("abc"):
        (data / name).mkdir(parents=True)
        for i in range(8):
            _png(data / name / f"{i}.png", 30 * c + i)
    names = [f"t{i}" for i in range(6)]
    cmap = tmp_path / "map.tsv"
    cmap.write_text("t0\ta\nt1\ta\nt2\tb\nt3\tb\nt4\tc\n")
    info = {"name": "grouping", "digest": "d", "class_names": names}
    with pytest.raises(tinydistill.InvalidArgumentError, match="class_map="):
        tinydistill.TeacherStage(str(tmp_path / "refused.tdstore"), str(data), policy=policy(), topk=6, epochs=1,
                                 teacher_info=info)
    assert not (tmp_path / "refused.tdstore").exists()

    def probs(label):
        p = [0.05] * 6
        p[2 * label], p[2 * label + 1] = 0.5, 0.3
        return p
    out = str(tmp_path / "mapped.tdstore")
    with tinydistill.TeacherStage(out, str(data), policy=policy(), topk=6, epochs=1, batch_size=8, teacher_info=info,
                                  class_map=cmap) as s:
        assert s.num_classes == 6
        for b in s:
            s.write(b, probs=[probs(int(label)) for label in b.labels])
    with tinydistill.Store(out) as store:
        assert store.teacher["class_names"] == names and store.metadata["dataset"]["class_names"] == ["a", "b", "c"]
    assert tinydistill.verify(out, data=str(data), class_map=cmap)["problem_count"] == 0
    assert any(p["kind"] == "class-names" for p in tinydistill.verify(out, data=str(data))["problems"])
    with pytest.raises(tinydistill.InvalidArgumentError, match="class_map="):
        tinydistill.Loader(out, str(data), batch_size=8)
    bad = tmp_path / "bad.tsv"
    bad.write_text("t0\ta\nt1\ta\nt2\tb\n")
    with pytest.raises(tinydistill.InvalidArgumentError, match=r"bad.tsv.*student class \"c\" gets no teacher class"):
        tinydistill.Loader(out, str(data), batch_size=8, class_map=bad)
    with tinydistill.Loader(out, str(data), batch_size=8, class_map=cmap, drop_last=False) as loader:
        assert loader.num_classes == 3 and loader.k == 3
        assert loader.info["class_map_digest"].startswith("sha256:") and loader.info["class_names"] == ["a", "b", "c"]
        rows = 0
        for batch in loader:
            for r in range(len(batch.labels)):
                p = probs(int(batch.labels[r]))
                kept = [p[0] + p[1], p[2] + p[3], p[4]]          # t5 dropped
                want = [v / sum(kept) for v in kept]
                got = dict(zip(batch.topk_indices[r].tolist(), batch.topk_values[r].tolist()))
                assert sorted(got) == [0, 1, 2]
                assert all(abs(got[c] - want[c]) < 2e-3 for c in range(3)), (got, want)
                assert batch.topk_indices[r][0] == batch.labels[r]
                rows += 1
        assert rows == 24
