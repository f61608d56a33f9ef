"""TrainingMonitor records the right numbers; the live view refreshes at most every refresh_s and works headless."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.monitor import TrainingMonitor, linear_weights
from course_lib.training import train_step
from course_lib.widgets import monitor as live


def small_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))


def test_plain_sgd_update_ratio_is_lr_times_gradient_over_weight():
    model = small_model()
    monitor = TrainingMonitor(model, torch.optim.SGD(model.parameters(), lr=0.1))
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    weights_before = [w.detach().clone() for w in linear_weights(model).values()]
    loss, _ = train_step(model, monitor, x, y)
    monitor.log_loss(loss)
    grads = [w.grad.norm().item() for w in linear_weights(model).values()]
    record = monitor.record()
    assert record.layer_names == ("Linear 1", "Linear 2 (logits)") and record.steps == 1
    assert record.loss[0] == pytest.approx(float(loss))
    assert np.allclose(record.grad_norm[0], grads)
    assert np.allclose(record.weight_norm[0], [w.norm().item() for w in weights_before])
    assert np.allclose(record.update_ratio[0], 0.1 * np.array(grads) / record.weight_norm[0], rtol=1e-5)


def test_record_only_counts_complete_steps_and_zero_weights_give_infinity():
    model = nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.zero_()
    monitor = TrainingMonitor(model, torch.optim.SGD(model.parameters(), lr=0.1))
    assert monitor.record().steps == 0 and monitor.record().grad_norm.shape == (0, 1)
    train_step(model, monitor, torch.randn(4, 3), torch.randint(0, 2, (4,)))
    assert monitor.record().steps == 0, "no loss logged yet"
    monitor.log_loss(torch.tensor(1.0))
    assert np.isinf(monitor.record().update_ratio[0, 0])


def test_a_model_without_linear_layers_is_refused():
    with pytest.raises(ValueError, match="no weights"):
        TrainingMonitor(nn.ReLU(), torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1))


def test_live_view_redraws_at_most_every_refresh_s(monkeypatch):
    shown, clock = [], [0.0]
    monkeypatch.setattr(live.time, "monotonic", lambda: clock[0])
    view = live.LiveMonitorView("test", refresh_s=0.5, enabled=True)
    monkeypatch.setattr(view, "_show", lambda record, total: (shown.append(clock[0]), setattr(view, "last_draw", clock[0])))

    class FakeMonitor:
        def record(self):
            return None

    for step in range(1, 201):
        clock[0] = step * 0.01  # a step every 10 ms: two seconds in all
        view(FakeMonitor(), step, 200)
    assert 3 <= len(shown) <= 4 and np.all(np.diff(shown) >= 0.5) and shown[0] >= 0.01 + 0.5
    view.bar.close()


def test_a_run_shorter_than_refresh_s_is_drawn_once_when_it_ends(monkeypatch):
    shown, clock = [], [0.0]
    monkeypatch.setattr(live.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(live, "in_ipython_kernel", lambda: True)
    view = live.LiveMonitorView("test", refresh_s=0.5)
    monkeypatch.setattr(view, "_show", lambda record, total: shown.append(clock[0]))
    for step in range(1, 41):
        clock[0] = step * 0.01
        view(None, step, 40)
    assert shown == []
    view.close(SimpleNamespace(steps=40), 40)
    assert shown == [0.4]


def test_headless_view_draws_nothing_and_watch_training_returns_the_record(fashion_data):
    from course_lib.experiments.monitoring import MonitoringExperiment

    experiment = MonitoringExperiment(fashion_data, n_train=200, hidden_sizes=(16,), steps=5)
    record = live.watch_training(experiment, "healthy")
    assert record.steps == 5
    figure = live.draw_monitor(record, "healthy", total_steps=5)
    assert len(figure.axes) == 4
