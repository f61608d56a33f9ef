"""The four demos of notebook 05 on tiny experiments: they render, revisits come from caches, bad input gives one
sentence, and neither building nor moving them changes the global random state."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.experiments.clipping import ClippingExperiment
from course_lib.experiments.decoupled_decay import DecayComparison
from course_lib.experiments.schedules import ScheduleExperiment
from course_lib.widgets.clipping import clipping_demo
from course_lib.widgets.decoupled_decay import adamw_demo
from course_lib.widgets.normalization import normalization_demo
from course_lib.widgets.schedules import schedule_demo

matplotlib.use("Agg")


def controls(ui) -> dict[str, widgets.Widget]:
    return {control.description: control for control in ui.kwargs_widgets}


def rendered(ui) -> bool:
    return ui.last_error is None and ui.last_png is not None and ui.last_png.startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def demos(fashion_data):
    state = torch.random.get_rng_state()
    built = {
        "schedule": schedule_demo(experiment=ScheduleExperiment(fashion_data, n_train=200, n_val=100, hidden_sizes=(16,),
                                                                epochs=2, batch_size=50), warmup_steps=2),
        "adamw": adamw_demo(comparison=DecayComparison(fashion_data, n_train=200, n_val=100, hidden_sizes=(16, 8),
                                                       epochs=1, batch_size=50)),
        "clipping": clipping_demo(experiment=ClippingExperiment(fashion_data, n_train=200, n_val=100,
                                                                hidden_sizes=(16, 16), epochs=1, batch_size=50)),
        "normalization": normalization_demo(fashion_data.train_x[:32], fashion_data.train_y[:32]),
    }
    assert torch.equal(state, torch.random.get_rng_state()), "building the demos changed the global RNG"
    return built


@pytest.mark.parametrize("name", ["schedule", "adamw", "clipping", "normalization"])
def test_every_demo_renders_its_start(demos, name):
    assert rendered(demos[name]), demos[name].last_error


def test_schedule_demo_trains_each_setting_once(demos):
    ui = demos["schedule"]
    experiment, peak = ui.experiment, controls(ui)["peak lr"]
    start, trained = peak.value, ui.experiment.trained
    peak.value = 10**-2.5
    assert rendered(ui) and experiment.trained == trained + 2, "a warmup schedule also trains its no-warmup reference"
    peak.value = start
    assert rendered(ui) and experiment.trained == trained + 2
    menu = controls(ui)["schedule"]
    menu.value = "constant"
    assert controls(ui)["warmup steps"].disabled and rendered(ui)
    menu.value = "warmup + cosine"
    assert not controls(ui)["warmup steps"].disabled


def test_adamw_demo_trains_both_methods_once_per_weight_decay(demos):
    ui = demos["adamw"]
    slider, comparison = controls(ui)["λ"], ui.comparison
    start, trained = slider.value, comparison.trained
    slider.value = 1.0
    assert rendered(ui) and comparison.trained == trained + 2
    slider.value = start
    assert rendered(ui) and comparison.trained == trained + 2


def test_clipping_demo_off_and_on(demos):
    ui = demos["clipping"]
    slider, experiment = controls(ui)["max_norm"], ui.experiment
    trained = experiment.trained
    slider.value = "off"
    assert rendered(ui) and experiment.trained == trained, "the run without clipping was trained when built"
    slider.value = 0.1
    assert rendered(ui) and experiment.trained == trained + 1


def test_moving_demos_leaves_the_global_rng_alone(demos):
    state = torch.random.get_rng_state()
    controls(demos["normalization"])["hidden layers"].value = 3
    controls(demos["clipping"])["max_norm"].value = 30.0
    assert torch.equal(state, torch.random.get_rng_state())


def test_normalization_demo_redraws_a_seen_setting_from_its_cache(demos):
    ui = demos["normalization"]
    depth = controls(ui)["hidden layers"]
    depth.value = 2
    first = ui.last_figure
    depth.value = 5
    depth.value = 2
    assert ui.last_figure is first and rendered(ui)


def test_normalization_demo_explains_an_exploding_plain_network(demos):
    ui = demos["normalization"]
    settings = controls(ui)
    settings["normalization"].value = "none"
    settings["std (normal)"].value = 1.0
    settings["hidden layers"].value = 12
    assert rendered(ui) or isinstance(ui.last_exception, CourseInputError)
    settings["std (normal)"].value = 0.01
    settings["normalization"].value = "batch"
    assert rendered(ui)
