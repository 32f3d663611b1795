// Loads the page bundle (this origin's, or another's given as ?bundle=) and leaves it on
// window for the test to drive; records every CSP violation the page meets.
window.violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.violations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
const bundle = new URLSearchParams(location.search).get('bundle') ?? '/dist/ampkit.js';
window.ampkit = await import(bundle);
document.documentElement.dataset.ready = 'yes';
// What a call threw, as plain data the test can read: never throws itself.
window.caught = async (call) => {
  try {
    await call();
    return 'no error';
  } catch (e) {
    return { isAmpkitError: e instanceof window.ampkit.AmpkitError, code: e.code, nodeCode: e.nodeCode, message: e.message };
  }
};
