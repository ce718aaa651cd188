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
                 {"name": "n", "digest": "d"}):
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


def test_a_class_map_pairs_a_teacher_with_a_dataset_named_otherwise(tmp_path):
    # The teacher's 10 classes are named t0…t9 and the synthetic dataset's class0…class9, so without a map
    # the stage refuses the dataset; with one (t_i onto class_i) it writes the teacher's classes.
    names = [f"t{i}" for i in range(10)]
    cmap = tmp_path / "map.tsv"
    dataset = [f"class{i}" for i in range(10)]
    cmap.write_text("".join(f"t{i}\tclass{i}\n" for i in range(10)))
    out = str(tmp_path / "mapped.tdstore")
    info = {"name": "named", "digest": "d", "class_names": names}
    with pytest.raises(tinydistill.InvalidArgumentError, match="class_map="):
        tinydistill.TeacherStage(str(tmp_path / "refused.tdstore"), DATA, policy=policy(), topk=3, epochs=1, teacher_info=info)
    assert not (tmp_path / "refused.tdstore").exists()
    with tinydistill.TeacherStage(out, DATA, policy=policy(), topk=3, epochs=1, batch_size=32, teacher_info=info,
                                  class_map=cmap) as s:
        for b in s:
            s.write(b, probs=[[0.5 if c == b.labels[r] else 0.5 / 9 for c in range(10)] for r in range(len(b))])
    with tinydistill.Store(out) as store:
        assert store.teacher["class_names"] == names and store.metadata["dataset"]["class_names"] == dataset
    assert tinydistill.verify(out, data=DATA, class_map=cmap)["problem_count"] == 0
    assert any(p["kind"] == "class-names" for p in tinydistill.verify(out, data=DATA)["problems"])
    with pytest.raises(tinydistill.InvalidArgumentError, match="class_map="):
        tinydistill.Loader(out, DATA, batch_size=8)
    # Five groups (t0, t1 onto class0, …) leave class5…class9 without a teacher class: refused, naming the file.
    grouped = tmp_path / "grouped.tsv"
    grouped.write_text("".join(f"t{i}\tclass{i // 2}\n" for i in range(10)))
    with pytest.raises(tinydistill.InvalidArgumentError, match=r"grouped.tsv.*student class \"class5\" gets no teacher class"):
        tinydistill.Loader(out, DATA, batch_size=8, class_map=grouped)
    with tinydistill.Loader(out, DATA, batch_size=8, class_map=cmap) as loader:
        assert loader.num_classes == 10 and loader.k == 3
        assert loader.info["class_map_digest"].startswith("sha256:") and loader.info["class_names"] == dataset
        batch = next(iter(loader))
        for r in range(len(batch)):
            assert batch.topk_indices[r][0] == batch.labels[r]    # the teacher's top class, now as a dataset class
            assert abs(float(sum(batch.topk_values[r])) - (0.5 + 2 * 0.5 / 9)) < 1e-3
