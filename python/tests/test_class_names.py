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
