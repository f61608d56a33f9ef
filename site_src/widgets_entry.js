// The course site's widget renderer: draws every widget of a page from the widget state that the
// executed notebook stored, with @jupyter-widgets/html-manager, bundled here so no page needs a CDN.
//
// Differences from html-manager's own embed.js:
// - only the built-in widget modules (base, controls, output) load; any other module is an error
//   shown in place of the widget, never a request to a CDN;
// - an image in a widget's output gets the text alternative its output stored
//   (metadata["image/png"].alt, set by course_lib's demos), so the plot is described to a screen reader;
// - a slider's handle (noUiSlider's role="slider" element, which ipywidgets leaves without a name) is
//   named by the slider's visible label, and a widget box that scrolls can take the keyboard focus, so
//   it can be scrolled without a mouse (axe-core: aria-input-field-name, scrollable-region-focusable);
// - a demo whose frames the site build precomputed (tools/site_frames.py: a
//   <script type="application/json" data-course-frames="MODEL_ID"> manifest) responds: when one of its
//   controls changes, its plot becomes the frame of the new setting (the image's src and alt), and a
//   polite live region says which setting is shown. No kernel, no request but the frame's image file.
import { HTMLManager } from '@jupyter-widgets/html-manager/lib/htmlmanager';
import { RenderedImage } from '@jupyterlab/rendermime';
import '@lumino/widgets/style/index.css';

const STATE_TYPE = 'application/vnd.jupyter.widget-state+json';
const VIEW_TYPE = 'application/vnd.jupyter.widget-view+json';
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif'];
const FRAMES_SELECTOR = 'script[type="application/json"][data-course-frames]';

class DescribedImage extends RenderedImage {
  async render(model) {
    await super.render(model);
    const metadata = model.metadata[this.mimeType] || {};
    const image = this.node.querySelector('img');
    if (image && metadata.alt) image.alt = String(metadata.alt);
  }
}

function createManager() {
  const manager = new HTMLManager();
  manager.renderMime.addFactory(
    { safe: true, mimeTypes: IMAGE_TYPES, createRenderer: (options) => new DescribedImage(options) },
    0,
  );
  return manager;
}

async function renderState(state) {
  const manager = createManager();
  const models = await manager.set_state(state);
  const byId = new Map(models.map((model) => [model.model_id, model]));
  const views = Array.from(document.querySelectorAll(`script[type="${VIEW_TYPE}"]`));
  await Promise.all(views.map(async (tag) => {
    const model = byId.get(JSON.parse(tag.textContent).model_id);
    if (model === undefined || tag.parentElement === null) return;
    const host = document.createElement('div');
    host.className = 'widget-subarea';
    tag.parentElement.insertBefore(host, tag);
    const view = await manager.create_view(model);
    await manager.display_view(view, host);
    const frames = Array.from(document.querySelectorAll(FRAMES_SELECTOR))
      .find((script) => script.dataset.courseFrames === model.model_id);
    if (frames) await connectFrames(manager, host, JSON.parse(frames.textContent));
  }));
}

// The position of a control's current value in its grid: a selection by its index, a number by the
// nearest key (on a log scale for a log slider), a checkbox by its value.
function keyIndex(control, model) {
  if (control.kind === 'index') return Math.max(0, control.keys.indexOf(model.get('index')));
  const value = model.get('value');
  if (typeof value === 'boolean') return Math.max(0, control.keys.indexOf(value));
  const scale = control.scale === 'log' ? Math.log : (x) => x;
  let best = 0;
  control.keys.forEach((key, index) => {
    if (Math.abs(scale(key) - scale(value)) < Math.abs(scale(control.keys[best]) - scale(value))) best = index;
  });
  return best;
}

async function connectFrames(manager, host, manifest) {
  const models = await Promise.all(manifest.controls.map((control) => manager.get_model(control.model_id)));
  const message = document.createElement('p');
  message.className = 'course-frame-message';
  message.hidden = true;
  const status = document.createElement('p');
  status.className = 'course-frame-status';
  status.setAttribute('aria-live', 'polite');
  host.append(message, status);
  const show = () => {
    const indices = manifest.controls.map((control, i) => keyIndex(control, models[i]));
    const position = manifest.controls.reduce((at, control, i) => at * control.keys.length + indices[i], 0);
    const [file, text] = manifest.frames[position];
    let image = host.querySelector('img');
    if (file && !image) {
      image = document.createElement('img');
      (host.querySelector('.widget-output') || host).append(image);
    }
    if (file) {
      image.src = manifest.base + file;
      image.alt = text;
      image.hidden = false;
    } else if (image) {
      image.hidden = true;
    }
    message.textContent = file ? '' : text;
    message.hidden = Boolean(file);
    const setting = manifest.controls.map((control, i) => `${control.label} = ${control.labels[indices[i]]}`);
    status.textContent = `Showing the plot for ${setting.join(', ')}.`;
    host.dataset.courseFrame = String(position);
  };
  models.forEach((model) => model.on('change', show));
  host.dataset.courseFrames = manifest.demo;
}

// The widget libraries typeset labels with MathJax 2's MathJax.Hub.Queue; the site loads MathJax 3.
function bridgeMathJax() {
  const mathjax = window.MathJax;
  if (!mathjax || mathjax.Hub) return;
  mathjax.Hub = {
    Queue: (command) => {
      const element = Array.isArray(command) ? command[2] : undefined;
      const ready = (mathjax.startup && mathjax.startup.promise) || Promise.resolve();
      ready.then(() => {
        if (typeof mathjax.typesetPromise === 'function') return mathjax.typesetPromise(element ? [element] : undefined);
        return undefined;
      }).catch(() => {});
    },
  };
}

function nameSliderHandles(root) {
  root.querySelectorAll('.widget-inline-hbox').forEach((control) => {
    const label = control.querySelector(':scope > label.widget-label');
    const text = label ? label.textContent.trim() : '';
    if (!text) return;
    control.querySelectorAll('[role="slider"]:not([aria-label]):not([aria-labelledby])').forEach((handle) => {
      handle.setAttribute('aria-label', text);
    });
  });
}

function focusableScrollBoxes(root) {
  root.querySelectorAll('.widget-box').forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
    if (scrolls && !box.hasAttribute('tabindex')) box.tabIndex = 0;
  });
}

async function renderWidgets() {
  bridgeMathJax();
  const tags = document.querySelectorAll(`script[type="${STATE_TYPE}"]`);
  await Promise.all(Array.from(tags).map((tag) => renderState(JSON.parse(tag.textContent))));
  // ipywidgets creates a slider's handle once the view is on the page, and again when its range
  // changes: name the handles whenever the widgets' markup changes, not once.
  let queued = false;
  const describe = () => {
    queued = false;
    nameSliderHandles(document);
    focusableScrollBoxes(document);
  };
  new MutationObserver(() => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(describe);
    }
  }).observe(document.body, { childList: true, subtree: true });
  await new Promise((resolve) => { requestAnimationFrame(() => { describe(); resolve(); }); });
  document.documentElement.dataset.widgetsRendered = 'true';
}

if (!window._jupyter_widget_embedder) {
  window._jupyter_widget_embedder = true;
  const start = () => renderWidgets().catch((error) => console.error('widgets could not be rendered:', error));
  if (document.readyState === 'complete') start();
  else window.addEventListener('load', start);
}
