// The course site's one change to the theme's markup: the search button's aria-label ("Search")
// replaced the name that its visible text ("Search Ctrl+K") gives it, so a speech-input user saying
// what they see would not find it (WCAG 2.5.3, axe-core label-content-name-mismatch).
document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('.search-button-field[aria-label]').forEach((button) => button.removeAttribute('aria-label'));
});
