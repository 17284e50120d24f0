// The offline page's one piece of behaviour: say which of the two causes it is, and load the
// app again by itself once the device is back online. Plain script (public/ is copied, not
// built); the page reads fine without it.
const title = document.getElementById('offline-title');
const reason = document.getElementById('offline-reason');
const advice = document.getElementById('offline-advice');

function describe() {
  if (!navigator.onLine) {
    title.textContent = 'You are offline';
    reason.textContent =
      'This device has no network connection, so Parley cannot reach its server.';
    advice.textContent =
      'Connect to Wi-Fi or mobile data. This page loads Parley again as soon as you are back online.';
  } else {
    title.textContent = 'Parley cannot reach its server';
    reason.textContent = `This device is online, but the server at ${location.host} does not answer. It may be restarting or down.`;
    advice.textContent =
      'Calls need the server to connect. Try again in a moment; if it persists, tell whoever runs this Parley server.';
  }
}

describe();
window.addEventListener('offline', describe);
window.addEventListener('online', () => location.reload());
